"""Prior authorizations: the 72-hour and 7-day clocks, idempotent submission, the decision table,
information requested and sent, withdrawal, and nobody outside the scope reading a request."""

from datetime import UTC, date, datetime, timedelta

import pytest

from functions.authorizations import logic
from functions.authorizations.models import AuthorizationRequest, AuthorizationSearch, InformationRequest
from functions.shared.core.context import Ask
from functions.shared.core.errors import Problem
from functions.shared.store.authorizations import AuthorizationStatus
from functions.um_decisions import logic as um
from functions.um_decisions.models import UmDecision
from tests.unit.access.given import META, caller
from tests.unit.portal.conftest import PLAN

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
FORM = {"acting_for": "G1000001", "member_id": "M100001", "birth_date": date(1984, 3, 12),
        "requesting_provider_id": "G1000001", "servicing_provider_id": "P2000001",
        "service_lines": [{"code": "73721", "units": 1}, {"code": "e0601", "units": 2}],
        "diagnosis_codes": ["m25.561"], "service_from": date(2026, 3, 10), "service_to": date(2026, 3, 20),
        "urgency": "expedited", "clinical_notes": "Knee pain after a fall; X-ray inconclusive."}


def submit(key: str = "key-0001", account_id: str = "office", **fields):
    return logic.submit(AuthorizationRequest(**{**FORM, **fields}), key, Ask(caller(account_id), PLAN, META, NOW))


def decide(authorization_id: str, outcome: str, **fields):
    return um.decide(authorization_id, UmDecision(outcome=outcome, reason=fields.pop("reason", "Meets criteria"),
                                                  **fields), "arn:staff/nurse", PLAN, "https://portal", META, NOW)


def problem_of(call, *args, **kwargs) -> Problem:
    with pytest.raises(Problem) as caught:
        call(*args, **kwargs)
    return caught.value


def test_the_decision_is_due_72_hours_expedited_and_7_days_standard(office):
    expedited, new = submit()
    assert new and expedited.due_at == NOW + timedelta(hours=72) and not expedited.overdue
    assert office.clocks == [(expedited.authorization_id, NOW, NOW + timedelta(hours=72))]
    assert [s.code for s in expedited.service_lines] == ["73721", "E0601"]
    assert expedited.diagnosis_codes == ["M25.561"]
    standard, _ = submit("key-0002", urgency="standard")
    assert standard.due_at == NOW + timedelta(days=7)
    late = logic.view(office.authorizations.get(expedited.authorization_id), NOW + timedelta(hours=73))
    assert late.overdue


def test_a_retried_submission_returns_the_same_request(office):
    first, new = submit()
    again, again_new = submit()
    assert (new, again_new) == (True, False) and again.authorization_id == first.authorization_id
    assert len(office.authorizations.requests) == 1
    assert len(office.clocks) == 2 and office.clocks[0] == office.clocks[1]  # the retry restarts it: one name
    other = problem_of(submit, member_id="M100004", birth_date=date(1990, 1, 30))  # same key, other request
    assert (other.status, other.slug) == (422, "idempotency-key-reused")
    assert problem_of(submit, key=None).status == 428


def test_information_requested_then_sent_then_approved(office):
    request, _ = submit()
    decide(request.authorization_id, "request_information", reason="Send the MRI order")
    assert office.sent[-1] == ("office@clinic.example", "authorization_information_needed")
    asked = logic.open_request(request.authorization_id, "G1000001", Ask(caller("office"), PLAN, META, NOW))
    assert asked.status == AuthorizationStatus.MORE_INFO_REQUESTED and asked.history[-1].note == "Send the MRI order"
    sent = logic.send_information(request.authorization_id, InformationRequest(acting_for="G1000001",
                                                                                note="Order attached"),
                                  Ask(caller("office"), PLAN, META, NOW))
    assert sent.status == AuthorizationStatus.PENDING
    again = problem_of(logic.send_information, request.authorization_id,
                       InformationRequest(acting_for="G1000001", note="x"), Ask(caller("office"), PLAN, META, NOW))
    assert again.slug == "not-waiting-for-information"
    assert decide(request.authorization_id, "approve") == AuthorizationStatus.APPROVED
    done = logic.open_request(request.authorization_id, "G1000001", Ask(caller("office"), PLAN, META, NOW))
    assert [e.event for e in done.history] == ["submitted", "more_info_requested", "information_sent", "approved"]
    assert done.decision_reason == "Meets criteria" and office.sent[-1][1] == "authorization_decided"
    assert [line.approved_units for line in done.service_lines] == [1, 2]  # approved: every unit asked for
    assert problem_of(decide, request.authorization_id, "deny").slug == "not-pending"  # decided once


def test_a_partial_approval_names_the_units_of_every_line(office):
    request, _ = submit()
    assert problem_of(decide, request.authorization_id, "partially_approve", approved_units=[1]).status == 422
    assert problem_of(decide, request.authorization_id, "partially_approve", approved_units=[1, 2]).status == 422
    decide(request.authorization_id, "partially_approve", approved_units=[1, 0], reason="One unit is enough")
    stored = office.authorizations.get(request.authorization_id)
    assert stored.status == AuthorizationStatus.PARTIALLY_APPROVED
    assert [s.approved_units for s in stored.service_lines] == [1, 0]


def test_withdraw_while_open_only(office):
    request, _ = submit()
    assert logic.withdraw(request.authorization_id, "G1000001", Ask(caller("office"), PLAN, META, NOW)).status == \
        AuthorizationStatus.WITHDRAWN
    assert problem_of(logic.withdraw, request.authorization_id, "G1000001", Ask(caller("office"), PLAN, META,
                      NOW)).slug == "already-decided"
    assert problem_of(decide, request.authorization_id, "approve").slug == "not-pending"


def test_the_plans_queue_is_soonest_due_first(office):
    standard, _ = submit("key-0002", urgency="standard")
    expedited, _ = submit("key-0001")
    assert [a.authorization_id for a in um.queue().pending] == [expedited.authorization_id,
                                                                standard.authorization_id]


def test_another_provider_reads_nothing_and_files_for_nobody_else(office, portal):
    request, _ = submit()
    portal("solo", "P2000004")
    hidden = problem_of(logic.open_request, request.authorization_id, "P2000004", Ask(caller("solo"), PLAN, META, NOW))
    assert (hidden.status, hidden.slug) == (404, "authorization-not-found")
    wrong = problem_of(submit, account_id="solo", acting_for="P2000004", key="key-9999")
    assert wrong.errors[0].field == "requesting_provider_id"
    listed = problem_of(logic.search, AuthorizationSearch(acting_for="P2000004", provider_id="G1000001",
                                                          from_date=date(2026, 3, 1), to_date=date(2026, 3, 31)),
                        Ask(caller("solo"), PLAN, META, NOW))
    assert listed.errors[0].field == "provider_id"


def test_the_clock_reminds_then_escalates_only_while_the_plan_has_not_decided(office, monkeypatch):
    from functions.authorization_clock import logic as clock_logic

    mails = []
    monkeypatch.setattr(clock_logic, "send_mail", lambda to, mail: mails.append((to, mail.kind, mail.subject)))
    request, _ = submit()
    assert clock_logic.step({"step": "remind", "authorization_id": request.authorization_id}, PLAN, NOW) == \
        {"open": True}
    assert clock_logic.step({"step": "escalate", "authorization_id": request.authorization_id}, PLAN,
                            NOW + timedelta(hours=73)) == {"open": True}
    assert [(to, kind) for to, kind, _ in mails] == [(PLAN.utilization_management_email, "authorization_due_soon"),
                                                      (PLAN.utilization_management_email, "authorization_overdue")]
    assert all("M100001" not in subject and "Jane" not in subject for _, _, subject in mails)
    decided, _ = submit("key-0002", urgency="standard")
    decide(decided.authorization_id, "approve")
    assert clock_logic.step({"step": "remind", "authorization_id": decided.authorization_id}, PLAN, NOW) == \
        {"open": False}
    assert len(mails) == 2  # a decided request ends its clock without a mail
