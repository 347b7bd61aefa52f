"""Provider-access rules on the in-memory store; what they reach outside it (workflow starts and
resumes, mails) is recorded by the `outside` fixture, and rate limits are off."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.unit.access.given import GROUP, IN_GROUP, PAID_CLAIM, PRACTITIONER


@dataclass
class Outside:
    started: list[str] = field(default_factory=list)  # execution names
    resumed: list[tuple[str, Any]] = field(default_factory=list)  # (token, output or error)
    mails: list[tuple[str, str]] = field(default_factory=list)  # (to, kind)


@pytest.fixture
def outside(repos: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Outside]:
    from functions.access_workflow import logic as access_workflow
    from functions.agreements import logic as agreements
    from functions.shared.services import ratelimit, workflow
    from functions.staff import logic as staff

    seen = Outside()

    def start(link: Any, plan: Any) -> str:
        name = workflow.execution_name(link)
        seen.started.append(name)
        return name

    def resume(token: str, output: Any = None, *, error: str | None = None, cause: str = "") -> bool:
        seen.resumed.append((token, error or output))
        return True

    def send_mail(to: str, mail: Any) -> None:
        seen.mails.append((to, mail.kind))

    monkeypatch.setattr(workflow, "start", start)
    monkeypatch.setattr(workflow, "resume", resume)
    monkeypatch.setattr(ratelimit, "hit", lambda *a, **k: None)
    monkeypatch.setattr(ratelimit, "check", lambda *a, **k: None)
    monkeypatch.setattr(agreements, "send_mail", send_mail)
    monkeypatch.setattr(access_workflow, "send_mail", send_mail)
    monkeypatch.setattr(staff, "send_mail", send_mail)
    repos.roster.load(GROUP, IN_GROUP, PRACTITIONER)
    repos.claims.put(PAID_CLAIM, "hash", "ExplanationOfBenefit/c1")
    yield seen
