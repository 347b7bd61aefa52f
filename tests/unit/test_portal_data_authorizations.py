"""Prior authorizations in the FHIR extract: Claim (use = preauthorization) and ClaimResponse mapped to
requests in every status with their due times; bad rows named by line, field and reason; re-runs and
conflicting rows change nothing."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from devserver.demo_portal_data import DemoMember, authorizations, pa_request, pa_response
from functions.portal_data_import.logic import import_extract, reconcile
from functions.portal_data_import.passes import parse
from functions.shared.store.authorizations import IMPORTED, Authorization, AuthorizationUrgency, Change, Event
from functions.shared.store.authorizations import AuthorizationStatus as S

TODAY = date(2026, 11, 28)
NOON = datetime(2026, 11, 28, 12, tzinfo=UTC)
JANE = DemoMember("M100001", "Jane", "Doe", date(1984, 3, 12), "P2000001")
REVIEW_CODE = "item.0.adjudication.0.extension.0.valueCodeableConcept.coding.0.code"
SERVICE = (date(2026, 12, 5), date(2027, 1, 20))


def _lines(*resources: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in resources)


def _request(number: str = "PA-TEST000001", lines: list[tuple[str, int]] | None = None, *,
             expedited: bool = False, **kw: Any) -> dict[str, Any]:
    return pa_request(number, JANE, "G1000001", "P2000001", expedited=expedited, submitted=NOON, service=SERVICE,
                      lines=lines or [("97110", 12)], diagnosis="M54.50", **kw)


def _response(decisions: list[tuple[str, int | None]], disposition: str | None = "Reason given",
              number: str = "PA-TEST000001", hours: int = 5) -> dict[str, Any]:
    return pa_response(number, JANE, "G1000001", NOON + timedelta(hours=hours), decisions, disposition)


def _one(*resources: dict[str, Any]) -> Authorization:
    extract = parse(_lines(*resources))
    assert extract.problems == []
    [(authorization, _, _)] = extract.authorizations
    return authorization


def _problems(*resources: dict[str, Any]) -> list[tuple[int, str]]:
    return [(p.line, p.field) for p in parse(_lines(*resources)).problems]


def test_a_request_without_an_answer_is_pending_on_its_clock():
    standard = _one(_request())
    assert standard.status == S.PENDING and standard.urgency == AuthorizationUrgency.STANDARD
    assert standard.due_at == NOON + timedelta(days=7) and standard.submitted_at == NOON
    assert (standard.requesting_provider_id, standard.servicing_provider_id) == ("G1000001", "P2000001")
    assert standard.submitted_by == IMPORTED and standard.service_from == SERVICE[0]
    expedited = _one(_request(expedited=True))
    assert expedited.urgency == AuthorizationUrgency.EXPEDITED and expedited.due_at == NOON + timedelta(hours=72)


@pytest.mark.parametrize(("decisions", "disposition", "status", "units"), [
    ([("A1", None)], None, S.APPROVED, (12,)),
    ([("A3", None)], "Not medically necessary", S.DENIED, (None,)),
    ([("A2", 6)], "6 of 12 visits", S.PARTIALLY_APPROVED, (6,)),
])
def test_the_answer_maps_to_the_status_units_reason_and_history(decisions, disposition, status, units):
    a = _one(_request(), _response(decisions, disposition))
    assert a.status == status and tuple(line.approved_units for line in a.service_lines) == units
    assert [e.event for e in a.history] == ["submitted", status.value]
    assert a.history[-1].note == disposition and a.history[-1].by == "plan"
    assert (a.decision_reason, a.decided_at) == (disposition, NOON + timedelta(hours=5))


def test_a_pended_answer_a4_leaves_the_request_waiting_under_the_plans_review():
    a = _one(_request(), _response([("A4", None)], "Clinical review in progress"))
    assert a.status == S.PENDING and (a.decision_reason, a.decided_at) == (None, None)
    assert [(e.event, e.by, e.note) for e in a.history] == [
        ("submitted", "provider", None), ("pended", "plan", "Clinical review in progress")]
    assert _one(_request(), _response([("A4", None)], None)).history[-1].note is None  # no reason is needed


def test_a_mixed_answer_is_a_partial_approval_and_a_cancelled_claim_is_withdrawn():
    mixed = _one(_request(lines=[("97161", 1), ("97110", 24)]), _response([("A1", None), ("A3", None)], "Eval only"))
    assert mixed.status == S.PARTIALLY_APPROVED and [s.approved_units for s in mixed.service_lines] == [1, 0]
    withdrawn = _one(_request(withdrawn_at=NOON + timedelta(hours=2)))
    assert withdrawn.status == S.WITHDRAWN and withdrawn.history[-1].at == NOON + timedelta(hours=2)


def test_the_demo_extract_has_every_status_and_both_clocks():
    extract = parse(_lines(*authorizations(TODAY, JANE)))
    assert extract.problems == []
    found = {a.status for a, _, _ in extract.authorizations}
    assert found == set(S) - {S.MORE_INFO_REQUESTED}  # asked for in the portal only: A4 is "pended"
    assert {a.urgency for a, _, _ in extract.authorizations} == set(AuthorizationUrgency)
    overdue = [a for a, _, _ in extract.authorizations if a.status == S.PENDING and a.due_at < NOON]
    assert [a.authorization_id for a in overdue] == ["PA-DEMO000002"]


def _changed(resource: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(resource)
    target = changed
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return changed


@pytest.mark.parametrize(("resources", "expected"), [
    ([_changed(_request(), "use", "claim")], [(1, "use")]),
    ([_changed(_request(), "item.0.productOrService.coding.0.code", "9711")], [(1, "item.0.productOrService")]),
    ([_changed(_request(), "diagnosis.0.diagnosisCodeableConcept.coding.0.code", "U0.71")],
     [(1, "diagnosis.0.diagnosisCodeableConcept")]),
    ([_changed(_request(), "created", "2026-11-28")], [(1, "created")]),
    ([_changed(_request(), "priority.coding.0.code", "urgent")], [(1, "priority")]),
    ([_changed(_request(), "item.0.quantity.value", 0)], [(1, "item.0.quantity")]),
    ([_changed(_request(), "identifier.0.value", "12345")], [(1, "identifier")]),
    ([_request(), _request()], []),  # the same resource twice: applied once
    ([_response([("A1", None)])], []),  # an answer to a request of an earlier file: decided on import
    ([_request(), _changed(_response([("A1", None)]), "preAuthRef", "PA-OTHER00001")], [(2, "preAuthRef")]),
    ([_request(), _response([("A3", None)], None)], [(2, "disposition")]),  # a denial says why
    ([_request(), _response([("A2", 12)], "All")], [(2, "item")]),  # partial gives fewer units than asked
    ([_request(), _response([("A1", None), ("A1", None)])], [(2, "item")]),  # an item the request lacks
    ([_request(), _response([("A1", None)], hours=-1)], [(2, "created")]),  # answered before it was asked
    ([_request(), _changed(_response([("A1", None)]), REVIEW_CODE, "Z9")], [(2, "item.0.adjudication.0.extension")]),
])
def test_bad_rows_are_named_by_line_and_field(resources, expected):
    assert _problems(*resources) == expected


def test_a_bad_authorization_row_rejects_a_strict_file_and_a_rerun_changes_nothing(repos):
    good = _lines(_request(), _response([("A1", None)]))
    bad = _lines(_changed(_request("PA-TEST000002"), "use", "claim"))
    rejected = import_extract(good + bad, "bad.ndjson", strict=True)
    assert rejected.status == "rejected" and [(p.line, p.field) for p in rejected.problems] == [(3, "use")]
    assert repos.authorizations.get("PA-TEST000001") is None  # nothing of the file applied
    first = import_extract(good, "good.ndjson")
    assert (first.status, first.written, first.authorizations) == ("applied", 1, 1)
    again = import_extract(good, "good.ndjson")
    assert (again.status, again.written, again.unchanged) == ("unchanged", 0, 1)
    stored = repos.authorizations.get("PA-TEST000001")
    assert stored.status == S.APPROVED and len(stored.history) == 2


def test_a_later_extract_moves_an_imported_request_along_its_transitions(repos):
    import_extract(_lines(_request()), "monday.ndjson")
    assert repos.authorizations.get("PA-TEST000001").status == S.PENDING
    decided = import_extract(_lines(_request(), _response([("A2", 4)], "4 visits")), "tuesday.ndjson")
    assert decided.written == 1 and decided.conflicts == []
    stored = repos.authorizations.get("PA-TEST000001")
    assert stored.status == S.PARTIALLY_APPROVED and stored.service_lines[0].approved_units == 4
    assert stored.decision_reason == "4 visits" and [e.event for e in stored.history] == [
        "submitted", "partially_approved"]
    stale = import_extract(_lines(_request()), "monday-again.ndjson")  # decided requests never go back
    assert stale.written == 0 and [(c.line, c.field) for c in stale.conflicts] == [(1, "status")]
    assert "cannot become pending" in stale.conflicts[0].reason
    assert repos.authorizations.get("PA-TEST000001").status == S.PARTIALLY_APPROVED


def test_requests_made_in_the_portal_are_not_decided_by_an_extract(repos):
    portal_made = replace(_one(_request()), submitted_by="account-1")
    assert reconcile(portal_made, _one(_request(), _response([("A1", None)]))).kind == "conflict"
    assert reconcile(portal_made, portal_made).kind == "unchanged"
    assert reconcile(None, portal_made).kind == "create"


def test_an_extract_older_than_the_last_change_is_a_conflict():
    stored = _one(_request())
    asked_later = Change(S.MORE_INFO_REQUESTED, Event(NOON + timedelta(hours=9), "more_info_requested", "plan"))
    moved = replace(stored, status=asked_later.status, history=(*stored.history, asked_later.event))
    older_denial = _one(_request(), _response([("A3", None)], "No", hours=3))
    assert reconcile(moved, older_denial).kind == "conflict"
    assert reconcile(moved, _one(_request(), _response([("A3", None)], "No", hours=10))).kind == "move"



def test_a_response_in_a_later_extract_decides_the_request_on_file_and_one_to_nothing_is_a_conflict(repos):
    monday = import_extract(_lines(_request()), "monday.ndjson")
    assert (monday.status, repos.authorizations.get("PA-TEST000001").status) == ("applied", S.PENDING)
    tuesday = import_extract(_lines(_response([("A1", None)])), "tuesday-delta.ndjson")
    assert (tuesday.status, tuesday.written, tuesday.authorizations) == ("applied", 1, 1)
    decided = repos.authorizations.get("PA-TEST000001")
    assert decided.status == S.APPROVED and [e.event for e in decided.history] == ["submitted", "approved"]
    again = import_extract(_lines(_response([("A1", None)])), "tuesday-again.ndjson")
    assert (again.status, again.written) == ("unchanged", 0)
    orphan = import_extract(_lines(_response([("A1", None)], number="PA-NOBODY0001")), "orphan.ndjson")
    assert orphan.status == "rejected" and [(c.line, c.field) for c in orphan.conflicts] == [(1, "request")]


def _nested(response: dict[str, Any], number: str = "AUTH0001") -> dict[str, Any]:
    """The review action as PAS nests it: the code and the payer's number as sub-extensions."""
    nested = copy.deepcopy(response)
    for item in nested["item"]:
        for adjudication in item["adjudication"]:
            (flat,) = adjudication["extension"]
            adjudication["extension"] = [{"url": flat["url"], "extension": [
                {"url": "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewActionCode",
                 "valueCodeableConcept": flat["valueCodeableConcept"]},
                {"url": "number", "valueString": number}]}]
    return nested


def test_the_review_action_is_read_as_pas_nests_it_and_pas_hcpcs_codes_are_procedure_codes():
    request = _request(lines=[("97110", 12), ("E0601", 1)])
    for item in request["item"]:
        item["productOrService"]["coding"][0]["system"] = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
    decided = _one(request, _nested(_response([("A1", None), ("A3", None)], "Not medically necessary")))
    assert decided.status == S.PARTIALLY_APPROVED and [s.code for s in decided.service_lines] == ["97110", "E0601"]
    assert [s.approved_units for s in decided.service_lines] == [12, 0]


def test_an_error_response_is_counted_and_decides_nothing(repos):
    error = {**_response([("A1", None)]), "outcome": "error"}
    report = import_extract(_lines(_request(), error), "error.ndjson")
    assert report.problems == [] and report.skipped == {"ClaimResponse (outcome = error)": 1}
    assert repos.authorizations.get("PA-TEST000001").status == S.PENDING


def test_a_pas_request_named_by_its_trace_number_is_kept_with_the_payers_numbers(repos):
    trace = {"system": "http://example.org/PATIENT_EVENT_TRACE_NUMBER", "value": "111099"}
    request = {**_request(), "identifier": [trace]}
    response = _nested(_response([("A1", None)]), number="AUTH0001")
    response["request"] = {"identifier": trace}
    response.pop("preAuthRef", None)
    monday = import_extract(_lines(request), "monday.ndjson")
    (stored,) = [a for a in repos.authorizations.requests.values()]
    assert monday.status == "applied" and re.fullmatch(r"PA-[0-9A-Z]{10}", stored.authorization_id)
    assert stored.payer_number == "111099"  # the request's own number, shown beside the portal's
    tuesday = import_extract(_lines(response), "tuesday.ndjson")  # the answer names the request by its trace number
    decided = repos.authorizations.get(stored.authorization_id)
    assert tuesday.status == "applied" and decided.status == S.APPROVED and decided.payer_number == "AUTH0001"


def test_a_waiting_request_is_decided_where_the_plans_profile_says(repos, monkeypatch):
    import functions.portal_data_import.logic as importer
    from functions.shared.core.plans import current_plan

    # A plan's core system decides its own requests (the default): the portal holds no queue or clock for them.
    import_extract(_lines(_request("PA-TEST000001")), "core.ndjson")
    waiting = repos.authorizations.get("PA-TEST000001")
    assert (waiting.status, waiting.decided_in) == (S.PENDING, "core") and repos.authorizations.pending(10) == []
    # A plan whose profile hands them to the portal's review desk finds them in its queue.
    portal_decides = current_plan().model_copy(update={"imported_requests_decided_in": "portal"})
    monkeypatch.setattr(importer, "current_plan", lambda: portal_decides)
    import_extract(_lines(_request("PA-TEST000002")), "portal.ndjson")
    assert [a.authorization_id for a in repos.authorizations.pending(10)] == ["PA-TEST000002"]
    # Either way, the core system's decision in a later export decides it.
    import_extract(_lines(_response([("A1", None)], number="PA-TEST000001")), "decided.ndjson")
    assert repos.authorizations.get("PA-TEST000001").status == S.APPROVED
