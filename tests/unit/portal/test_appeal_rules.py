"""Appeals of prior-authorization decisions: a denial or partial approval of the requesting practice is
appealed once, as a new request linked both ways and on its own decision clock; the same appeal sent
again returns it, any other is refused; the plan decides it in its queue like any request."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from functions.authorizations import logic
from functions.authorizations.models import AppealRequest, AuthorizationView
from functions.shared.core.context import Ask
from functions.shared.store.authorizations import AuthorizationStatus
from functions.um_decisions import logic as um
from tests.unit.access.given import META, caller
from tests.unit.portal.conftest import PLAN
from tests.unit.portal.test_authorization_rules import NOW, decide, problem_of, submit

REASON = "MRI criteria met: six weeks of physical therapy documented; mechanical locking on exam."
LETTER = {"name": "pt-notes.pdf", "content_type": "application/pdf",
          "content": base64.b64encode(b"%PDF-1.7\n% therapy notes\n%%EOF\n").decode()}


def appeal(authorization_id: str, account_id: str = "office", acting_for: str = "G1000001",
           **fields: object) -> tuple[AuthorizationView, bool]:
    req = AppealRequest(**{"acting_for": acting_for, "reason": REASON, "urgency": "standard", **fields})
    return logic.appeal(authorization_id, req, Ask(caller(account_id), PLAN, META, NOW))


def denied(**fields: object) -> AuthorizationView:
    request, _ = submit(**fields)
    decide(request.authorization_id, "deny", reason="Conservative treatment not tried for 6 weeks")
    return request


def test_an_appeal_of_a_denial_is_a_new_request_linked_both_ways_on_its_own_clock(office):
    original = denied()
    made, new = appeal(original.authorization_id, attachments=[LETTER])
    assert new and made.authorization_id != original.authorization_id
    assert (made.status, made.appeal_of, made.appeal_id) == (AuthorizationStatus.PENDING,
                                                             original.authorization_id, None)
    # The same member, providers, services (none approved yet) and dates; the appeal's own urgency and files
    assert [(s.code, s.units, s.approved_units) for s in made.service_lines] == [("73721", 1, None),
                                                                                 ("E0601", 2, None)]
    assert (made.member_id, made.requesting_provider_id, made.servicing_provider_id) == (
        original.member_id, original.requesting_provider_id, original.servicing_provider_id)
    assert (made.diagnosis_codes, made.service_from, made.service_to) == (
        original.diagnosis_codes, original.service_from, original.service_to)
    assert made.urgency == "standard" and made.due_at == NOW + timedelta(days=7)
    assert [a.name for a in made.attachments] == ["pt-notes.pdf"] and made.history[0].attachments == [1]
    assert [e.event for e in made.history] == ["appealed"] and made.door == "portal"
    assert office.clocks[-1] == (made.authorization_id, NOW, NOW + timedelta(days=7))
    assert office.authorizations.get(made.authorization_id).clinical_notes == REASON
    # The decision appealed names its appeal; the appeal's audit entry is written with it
    shown = logic.open_request(original.authorization_id, "G1000001", Ask(caller("office"), PLAN, META, NOW))
    assert (shown.status, shown.appeal_id) == (AuthorizationStatus.DENIED, made.authorization_id)
    entry = office.authorizations.audit[-1]
    assert (entry.action, entry.outcome, entry.detail["authorization_id"]) == (
        "phi.authorization.appeal", "submitted", made.authorization_id)


def test_the_same_appeal_again_returns_it_and_another_is_refused(office):
    original = denied()
    made, _ = appeal(original.authorization_id, attachments=[LETTER])
    again, new = appeal(original.authorization_id, attachments=[LETTER])
    assert not new and again.authorization_id == made.authorization_id
    assert len(office.authorizations.requests) == 2
    for other in ({"reason": "Another reason entirely."}, {"urgency": "expedited"}, {"attachments": []}):
        refused = problem_of(appeal, original.authorization_id, **other)
        assert (refused.status, refused.slug) == (409, "not-appealable")
    assert len(office.authorizations.requests) == 2


@pytest.mark.parametrize("outcome", [None, "request_information", "approve", "withdraw"])
def test_only_a_denial_or_partial_approval_is_appealed(office, outcome):
    request, _ = submit()
    if outcome == "withdraw":
        logic.withdraw(request.authorization_id, "G1000001", Ask(caller("office"), PLAN, META, NOW))
    elif outcome:
        decide(request.authorization_id, outcome)
    refused = problem_of(appeal, request.authorization_id)
    assert (refused.status, refused.slug) == (409, "not-appealable")
    assert len(office.authorizations.requests) == 1
    assert office.authorizations.get(request.authorization_id).appeal_id is None


def test_a_partial_approval_is_appealed_for_the_services_asked(office):
    request, _ = submit()
    decide(request.authorization_id, "partially_approve", approved_units=[1, 0], reason="One unit is enough")
    made, new = appeal(request.authorization_id, urgency="expedited")
    assert new and made.appeal_of == request.authorization_id and made.due_at == NOW + timedelta(hours=72)
    assert [(s.code, s.units, s.approved_units) for s in made.service_lines] == [("73721", 1, None),
                                                                                 ("E0601", 2, None)]
    assert office.authorizations.get(request.authorization_id).appeal_id == made.authorization_id


def test_a_servicing_provider_reads_the_decision_but_only_the_requesting_practice_appeals(office, portal):
    original = denied(servicing_provider_id="P2000004")
    portal("solo", "P2000004")
    refused = problem_of(appeal, original.authorization_id, "solo", "P2000004")
    assert (refused.status, refused.slug) == (403, "not-record-owner") and "G1000001" in refused.detail
    assert len(office.authorizations.requests) == 1
    assert office.authorizations.get(original.authorization_id).appeal_id is None
    assert ("phi.authorization.change", "not_owner") in office.audit.actions("solo")


def test_another_providers_request_is_not_found(office, portal):
    original = denied()  # servicing P2000001, in the group: nothing of P2000004's
    portal("solo", "P2000004")
    hidden = problem_of(appeal, original.authorization_id, "solo", "P2000004")
    assert (hidden.status, hidden.slug) == (404, "authorization-not-found")
    assert problem_of(appeal, "PA-0000000000").slug == "authorization-not-found"
    assert office.authorizations.get(original.authorization_id).appeal_id is None


def test_the_plan_decides_the_appeal_from_its_queue(office):
    original = denied()
    waiting, _ = submit("key-0002")
    made, _ = appeal(original.authorization_id, urgency="expedited")
    queued = {item.authorization_id: item.appeal_of for item in um.queue().pending}
    assert queued == {waiting.authorization_id: None, made.authorization_id: original.authorization_id}
    assert decide(made.authorization_id, "approve", reason="Therapy notes meet the criteria") == \
        AuthorizationStatus.APPROVED
    assert office.sent[-1] == ("office@clinic.example", "authorization_decided")
    done = logic.open_request(made.authorization_id, "G1000001", Ask(caller("office"), PLAN, META, NOW))
    assert (done.status, done.decision_reason) == (AuthorizationStatus.APPROVED, "Therapy notes meet the criteria")
    assert [line.approved_units for line in done.service_lines] == [1, 2]
    assert [item.authorization_id for item in um.queue().pending] == [waiting.authorization_id]
    # The appealed decision stays as it was, and is not appealed twice
    assert office.authorizations.get(original.authorization_id).status == AuthorizationStatus.DENIED
    assert problem_of(appeal, original.authorization_id, reason="Once more, please.").slug == "not-appealable"
