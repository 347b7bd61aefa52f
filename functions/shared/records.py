"""A portal record read by its number (a prior authorization, an admission): in the caller's scope, or an
audited not-found that answers alike whether the record does not exist or belongs to another provider."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from functions.shared import access, audit, ratelimit
from functions.shared.errors import Problem
from functions.shared.http import Caller, RequestMeta
from functions.shared.plans import PlanProfile


class ProviderRecord(Protocol):
    @property
    def provider_ids(self) -> frozenset[str]: ...


Record = TypeVar("Record", bound=ProviderRecord)


@dataclass(frozen=True)
class RecordKind(Generic[Record]):
    """`name` makes the not-found audit record (phi.<name>.read, detail <name>_id) and the rate counter
    (<name>s, over `window`: the step's lists and searches count on it too)."""

    name: str
    not_found: Problem
    window: timedelta
    fetch: Callable[[str], Record | None]  # by its number, upper-case

    def visible(self, record_id: str, acting_for: str, who: Caller, plan: PlanProfile, meta: RequestMeta,
                now: datetime) -> Record:
        """The record, once the caller's link for `acting_for` is checked and the read is counted."""
        scope = access.scope_for(who.account_id, acting_for, plan)
        ratelimit.hit(f"{self.name}s", who.account_id, plan.claim_searches_per_hour, self.window, now)
        record = self.fetch(record_id.strip().upper())
        if record is None or not record.provider_ids & scope:
            audit.record(f"phi.{self.name}.read", "not_found", meta, subject=who.account_id, now=now,
                         detail={"acting_for": acting_for, f"{self.name}_id": record_id})
            raise self.not_found
        return record
