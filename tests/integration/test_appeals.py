"""Appeals of prior-authorization decisions on DynamoDB Local, through the gateway and the real handlers: a
denial appealed once (the same appeal again returns it, another is 409), the appeal in the plan's queue
and decided there, who may appeal, and twenty different appeals of one denial racing to one appeal."""

from __future__ import annotations

import pytest

from devserver.gateway import STAFF_HEADER
from functions.authorizations import logic
from functions.authorizations.models import AppealRequest
from functions.shared.core.context import Ask
from functions.shared.core.errors import Problem
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.plans import plan_profile
from functions.shared.store.authorizations import DynamoAuthorizations
from functions.shared.store.models import AuditEvent, UniqueKey
from functions.shared.store.portal_models import AuthorizationRecord
from tests.integration import test_portal_data as portal
from tests.integration.browser import Browser
from tests.integration.conftest import concurrently
from tests.integration.races import write_all_at_once
from tests.integration.test_authorizations import form

data, group = portal.data, portal.group  # the demo data and a user with access to G1000001
APPEAL = {"acting_for": "G1000001", "reason": "Six weeks of physical therapy are documented in the notes attached.",
          "urgency": "standard"}


def nurse(gateway) -> Browser:
    return Browser(gateway, ip="127.0.0.1")  # the staff stand-in header counts from this machine only


def decided(gateway, number: str, outcome: str, reason: str) -> None:
    answer = nurse(gateway).request("POST", f"/staff/authorizations/{number}/decision",
                                    {"outcome": outcome, "reason": reason}, headers={STAFF_HEADER: "um.nurse"})
    assert answer.status == 200, answer.body


def denied(gateway, group, clock, key: str, **fields) -> str:
    created = group.request("POST", "/authorizations", form(clock.now.date(), **fields),
                            headers={"Idempotency-Key": key})
    assert created.status == 201, created.body
    number = created.body["authorization_id"]
    decided(gateway, number, "deny", "Conservative treatment not tried for 6 weeks")
    return number


def appeal_audits(browser: Browser) -> list[tuple[str, str]]:
    subject = portal._session_subject(browser)
    return [(r.outcome, r.detail.as_dict()["authorization_id"]) for r in AuditEvent.query(subject)
            if r.action == "phi.authorization.appeal"]


def test_a_denial_is_appealed_once_and_the_plan_decides_the_appeal(gateway, group, clock):
    number = denied(gateway, group, clock, "k-appeal-0001")
    waiting = group.request("POST", "/authorizations", form(clock.now.date()),
                            headers={"Idempotency-Key": "k-appeal-0002"}).body["authorization_id"]
    # An appeal of a request still pending is refused
    early = group.post(f"/authorizations/{waiting}/appeal", APPEAL)
    assert (early.status, early.body["type"]) == (409, "/problems/not-appealable")

    short = group.post(f"/authorizations/{number}/appeal", {**APPEAL, "reason": "no"})
    assert short.status == 422 and short.body["errors"][0]["field"] == "reason"
    assert short.body["errors"][0]["message"].startswith("Say why the decision should change")
    made = group.post(f"/authorizations/{number}/appeal", APPEAL)
    assert made.status == 201 and made.header("Cache-Control") == "no-store"
    appeal = made.body["authorization_id"]
    assert (made.body["appeal_of"], made.body["status"], made.body["door"]) == (number, "pending", "portal")
    assert made.body["service_lines"] == [{"code": "73721", "units": 1, "approved_units": None}]
    again = group.post(f"/authorizations/{number.lower()}/appeal", APPEAL)
    assert (again.status, again.body["authorization_id"]) == (200, appeal)
    other = group.post(f"/authorizations/{number}/appeal", {**APPEAL, "urgency": "expedited"})
    assert (other.status, other.body["type"]) == (409, "/problems/not-appealable")

    # Stored: linked both ways, one claim of the appeal, one audit entry (the appeal's)
    original, stored = AuthorizationRecord.get(number), AuthorizationRecord.get(appeal)
    assert (original.status, original.appeal_id, original.appeal_of) == ("denied", appeal, None)
    assert (stored.appeal_of, stored.appeal_id, stored.open_status) == (number, None, "open")
    assert stored.clinical_notes == APPEAL["reason"] and [h.event for h in stored.history] == ["appealed"]
    assert [k.account_id for k in UniqueKey.scan() if k.key == f"pa-idempotency#appeal#{number}"] == [appeal]
    assert appeal_audits(group) == [("submitted", appeal)]
    assert group.get(f"/authorizations/{number}?acting_for=G1000001").body["appeal_id"] == appeal

    # The plan's queue lists the appeal as one; its decision is recorded like any other
    queue = nurse(gateway).request("GET", "/staff/authorizations", headers={STAFF_HEADER: "um.nurse"}).body
    assert {item["authorization_id"]: item["appeal_of"] for item in queue["pending"]} == {
        waiting: None, appeal: number}
    decided(gateway, appeal, "approve", "The therapy notes meet the criteria")
    shown = group.get(f"/authorizations/{appeal}?acting_for=G1000001").body
    assert (shown["status"], shown["decision_reason"]) == ("approved", "The therapy notes meet the criteria")
    assert AuthorizationRecord.get(number).status == "denied"  # the decision appealed stays on file


def test_only_the_requesting_practice_appeals_and_others_see_nothing(gateway, group, clock):
    from tests.integration.test_portal_data import SOLO, with_access

    shared = denied(gateway, group, clock, "k-appeal-0003", servicing_provider_id="P2000004")
    ours = denied(gateway, group, clock, "k-appeal-0004")  # servicing P2000001: nothing of P2000004's
    solo = with_access(gateway, "dr.chen@clinic.example", SOLO)
    refused = solo.post(f"/authorizations/{shared}/appeal", {**APPEAL, "acting_for": "P2000004"})
    assert (refused.status, refused.body["type"]) == (403, "/problems/not-record-owner")
    assert "G1000001" in refused.body["detail"]
    hidden = solo.post(f"/authorizations/{ours}/appeal", {**APPEAL, "acting_for": "P2000004"})
    assert (hidden.status, hidden.body["type"]) == (404, "/problems/authorization-not-found")
    assert AuthorizationRecord.get(shared).appeal_id is None and AuthorizationRecord.get(ours).appeal_id is None
    assert appeal_audits(solo) == []


def test_twenty_different_appeals_of_one_denial_racing_make_one_appeal(gateway, group, clock,
                                                                       monkeypatch: pytest.MonkeyPatch):
    number = denied(gateway, group, clock, "k-appeal-race1")
    who = Caller(portal._session_subject(group), "-", "full")
    write_all_at_once(monkeypatch, DynamoAuthorizations, "create", 20)  # all read "not appealed", then write
    answers = concurrently(lambda i: logic.appeal(number, AppealRequest.model_validate(
        {**APPEAL, "reason": f"Reason number {i}: the therapy notes are attached."}), Ask(
        who, plan_profile("caresource"), RequestMeta(f"r{i}", "198.51.100.7", "t"), clock.now)), 20)
    made = [view for view, new in (a for a in answers if not isinstance(a, Problem)) if new]
    refused = [a for a in answers if isinstance(a, Problem)]
    assert len(made) == 1 and len(refused) == 19
    assert {(p.status, p.slug) for p in refused} == {(409, "not-appealable")}
    appeal = made[0].authorization_id
    assert [r.authorization_id for r in AuthorizationRecord.scan() if r.appeal_of == number] == [appeal]
    assert AuthorizationRecord.get(number).appeal_id == appeal
    assert [k.account_id for k in UniqueKey.scan() if k.key.startswith("pa-idempotency#appeal#")] == [appeal]
    assert appeal_audits(group) == [("submitted", appeal)]  # the refused ones wrote nothing
