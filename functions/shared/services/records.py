"""Portal records: claims, prior authorizations, admissions, and every later kind, declared once.

A kind says what differs: its name, its not-found answer, how it is fetched by its number, its rate-limit
setting, and (in the record itself) which providers are on it and which one may change it. What is the
same for every kind lives here: the caller's scope for the Provider ID they act for, the rate limit, the
audited not-found that answers alike whether a record does not exist or belongs to another provider, the
check that only the requesting (notifying) practice changes a record, the audit entries of reads and
changes, and paged lists with sealed cursors (functions/shared/core/paging.py).

Audit actions are `phi.<kind>.<verb>` with the detail `acting_for`, `<kind>_id` and `member_id`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Generic, Protocol, TypeVar

from functions.shared.core import audit, paging
from functions.shared.core.audit import AuditEntry
from functions.shared.core.context import Ask
from functions.shared.core.errors import FieldError, Problem, invalid_fields
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import Feature
from functions.shared.services import access, ratelimit
from functions.shared.store import audit as audit_log
from functions.shared.store.pages import StoredPage


class PortalRecord(Protocol):
    @property
    def record_id(self) -> str: ...

    @property
    def member_id(self) -> str: ...

    @property
    def provider_ids(self) -> frozenset[str]:
        """Who may read it: every provider named on it."""
        ...

    @property
    def owner_id(self) -> str:
        """Who may change it: the practice that requested or notified it (a claim: its billing provider)."""
        ...


class Listed(Protocol):
    """An item of a paged list: its providers, and the sort key a page continues after."""

    @property
    def provider_ids(self) -> frozenset[str]: ...

    @property
    def page_key(self) -> str: ...


Record = TypeVar("Record", bound=PortalRecord)
Item = TypeVar("Item", bound=Listed)


@dataclass(frozen=True)
class ListQuery:
    """A page of one list (`list_key`: a provider's, a member's, a facility's) between two days."""

    list_key: str
    first_day: date
    last_day: date
    page_size: int
    cursor: str | None


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    next_cursor: str | None


# A repository's page query: (list key, first day, last day, how many, continue after) -> a page.
PageReader = Callable[[str, date, date, int, "str | None"], StoredPage[Item]]


@dataclass(frozen=True)
class RecordKind(Generic[Record]):
    name: str
    not_found: Problem
    fetch: Callable[[str], Record | None]  # by its number, as normalised at the edge
    per_hour: Callable[[PlanProfile], int]  # the plan's limit of this kind's requests per account
    reads: Feature  # the feature that opens and lists records of this kind
    writes: Feature  # the feature that creates and changes them
    window: timedelta = timedelta(hours=1)

    def scope(self, acting_for: str, ask: Ask, *, changing: bool = False) -> frozenset[str]:
        """The providers the caller may see acting for `acting_for` (with the feature to read, or to
        change: `changing`), once the request is counted."""
        scope = access.scope_for(ask.who.account_id, acting_for, ask.plan, self.writes if changing else self.reads)
        self.count(ask)
        return scope

    def count(self, ask: Ask) -> None:
        """Count one request of this kind against the caller's hourly limit (429 past it)."""
        ratelimit.hit(f"{self.name}s", ask.who.account_id, self.per_hour(ask.plan), self.window, ask.now)

    def visible(self, record_id: str, acting_for: str, ask: Ask) -> Record:
        """The record, if one of its providers is in the caller's scope; otherwise an audited not-found."""
        return self._find(record_id, acting_for, ask)[0]

    def changeable(self, record_id: str, acting_for: str, ask: Ask) -> Record:
        """A visible record the caller's practice requested or notified: only that practice changes it;
        a provider only named on it (servicing, attending) sees it and is told who may change it."""
        record, scope = self._find(record_id, acting_for, ask, changing=True)
        if record.owner_id not in scope:
            audit_log.record(f"phi.{self.name}.change", "not_owner", ask.meta, subject=ask.who.account_id, now=ask.now,
                             detail=self._detail(acting_for, record))
            raise Problem(403, "not-record-owner", f"Only the practice that sent this {self.name} can change it",
                          f"Provider ID {record.owner_id} sent this {self.name}. Act for that Provider ID to "
                          "change it, or ask that practice to.")
        return record

    def _find(self, record_id: str, acting_for: str, ask: Ask, *,
              changing: bool = False) -> tuple[Record, frozenset[str]]:
        scope = self.scope(acting_for, ask, changing=changing)
        record = self.fetch(record_id)
        if record is None or not record.provider_ids & scope:
            audit_log.record(f"phi.{self.name}.read", "not_found", ask.meta, subject=ask.who.account_id, now=ask.now,
                             detail={"acting_for": acting_for, f"{self.name}_id": record_id})
            raise self.not_found
        return record, scope

    def shown(self, record: Record, acting_for: str, ask: Ask) -> Record:
        """Audit the read of a record about to be shown."""
        audit_log.record(f"phi.{self.name}.read", "shown", ask.meta, subject=ask.who.account_id, now=ask.now,
                         detail=self._detail(acting_for, record))
        return record

    def entry(self, verb: str, outcome: str, acting_for: str, record: Record, ask: Ask) -> AuditEntry:
        """The audit entry of a change, written by the repository in the change's own transaction."""
        return audit.audit_event(f"phi.{self.name}.{verb}", outcome, ask.meta, subject=ask.who.account_id,
                                 now=ask.now, detail=self._detail(acting_for, record))

    def member_not_found(self, verb: str, acting_for: str, ask: Ask) -> None:
        audit_log.record(f"phi.{self.name}.{verb}", "member_not_found", ask.meta, subject=ask.who.account_id,
                         now=ask.now, detail={"acting_for": acting_for})

    def page(self, query: ListQuery, read: PageReader[Item], ask: Ask, *, scope: frozenset[str],
             detail: dict[str, Any]) -> Page[Item]:
        """One page of a list, newest first, with only the items one of whose providers is in `scope`.

        The next page's cursor continues after the last item shown, so it never carries the key of a
        hidden record; a page with hidden items reads on until it is full or the list ends."""
        binding = paging.Binding(ask.who.account_id, self.name, query.list_key, query.first_day, query.last_day)
        after = paging.open_cursor(query.cursor, binding)
        shown: list[Item] = []
        while True:
            stored = read(query.list_key, query.first_day, query.last_day, query.page_size, after)
            batch, more = stored.items, stored.after
            for position, item in enumerate(batch):
                if not item.provider_ids & scope:
                    continue
                shown.append(item)
                if len(shown) == query.page_size:
                    rest = position + 1 < len(batch) or more is not None
                    return self._listed(shown, item.page_key if rest else None, binding, detail, ask)
            if more is None:
                return self._listed(shown, None, binding, detail, ask)
            after = more

    def _listed(self, shown: list[Item], after: str | None, binding: paging.Binding, detail: dict[str, Any],
                ask: Ask) -> Page[Item]:
        audit_log.record(f"phi.{self.name}.search", "listed", ask.meta, subject=ask.who.account_id, now=ask.now,
                         detail={**detail, f"{self.name}s": len(shown)})
        return Page(shown, paging.seal(after, binding))

    def _detail(self, acting_for: str, record: Record) -> dict[str, Any]:
        return {"acting_for": acting_for, f"{self.name}_id": record.record_id, "member_id": record.member_id}


def in_scope(field: str, provider_id: str, scope: frozenset[str], message: str) -> str:
    """A Provider ID a request names for the caller's side, if the caller acts for it (422 otherwise)."""
    if provider_id not in scope:
        raise invalid_fields([FieldError(field, message, "not_in_scope")])
    return provider_id
