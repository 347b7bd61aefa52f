"""Roster changes end access (in-memory repositories): links to a Provider ID that a new roster drops,
or moves to another Tax ID, end with an audit record and a notice; the others stay."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.roster_import import logic
from functions.shared.core.audit import audit_event
from functions.shared.core.http import RequestMeta
from functions.shared.core.plans import plan_profile
from functions.shared.core.states import LinkStatus, LinkType
from functions.shared.store.links import NewLink
from tests.unit.identity import active_account

NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
HEADER = "provider_id,provider_type,first_name,last_name,group_name,tax_id,address,city,state,zip\n"
V1 = HEADER + ("G1000001,Group,,,Riverside,12-3456789,1 Main St,Columbus,OH,43215\n"
               "P2000001,Practitioner,Maria,Lopez,,12-3456789,1 Main St,Columbus,OH,43215\n"
               "P2000002,Practitioner,James,Neil,,12-3456789,1 Main St,Columbus,OH,43215\n")
META = RequestMeta("r", "198.51.100.7", "test")


@pytest.fixture
def mails(monkeypatch) -> list[tuple[str, str]]:
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(logic, "send_mail", lambda to, mail: sent.append((to, mail.subject)))
    return sent


def link(repos, n: int, provider_id: str, name: str, *, active: bool = True) -> str:
    account = active_account(repos, account_id=f"acct-{n}", email=f"user{n}@clinic.example")
    new = NewLink(account.account_id, provider_id, LinkType.GROUP if provider_id[0] == "G" else LinkType.PRACTITIONER,
                  "123456789", name, "Jane Doe", account.email, NOW)
    repos.links.create_as_admin(new, audit_event("link.request", "admin", META))
    if active:
        repos.links.grant_access(account.account_id, provider_id, NOW, audit_event("link.grant", "ok", META))
    return account.account_id


def test_dropped_and_moved_providers_lose_their_links_and_users_are_told(repos, mails):
    assert logic.import_roster(V1, "v1.csv", NOW, plan_profile("cmo")).status == "applied"
    link(repos, 1, "P2000001", "Maria Lopez")
    link(repos, 2, "P2000002", "James Neil", active=False)
    link(repos, 3, "G1000001", "Riverside")
    v2 = V1.replace("P2000001,Practitioner,Maria,Lopez,,12-3456789,1 Main St,Columbus,OH,43215\n", "")
    v2 = v2.replace("James,Neil,,12-3456789", "James,Neil,,98-7654321")
    report = logic.import_roster(v2, "v2.csv", NOW, plan_profile("cmo"))
    assert report.links_ended == 2
    statuses = {pid: repos.links.get(f"acct-{n}", pid).status
                for n, pid in ((1, "P2000001"), (2, "P2000002"), (3, "G1000001"))}
    assert statuses == {"P2000001": LinkStatus.REMOVED, "P2000002": LinkStatus.EXPIRED,
                        "G1000001": LinkStatus.ACTIVE}
    assert mails == [("user1@clinic.example", "Your access to Maria Lopez ended"),
                     ("user2@clinic.example", "Your access to James Neil ended")]
    assert [a for a in repos.audit.actions() if a[0] == "link.end"] == [("link.end", "roster_removed")] * 2
    assert repos.roster.provider("P2000001", 1) is None  # the dropped provider's old row is gone too


def test_an_unchanged_roster_ends_nothing(repos, mails):
    logic.import_roster(V1, "v1.csv", NOW, plan_profile("cmo"))
    link(repos, 1, "P2000001", "Maria Lopez")
    report = logic.import_roster(V1.replace("1 Main St", "2 Main St"), "v2.csv", NOW, plan_profile("cmo"))
    assert report.status == "applied" and report.links_ended == 0 and mails == []
