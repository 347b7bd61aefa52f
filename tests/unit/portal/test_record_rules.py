"""What every portal record shares (functions/shared/services/records.py): sealed cursors bound to the caller, the
list and its range; a cursor that never names a hidden record; only the requesting or notifying practice
changes a record; a submission's Idempotency-Key bound to the whole submission; identifiers and codes as
any client may spell them."""

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from functions.admissions.logic import discharge, notify, open_admission
from functions.admissions.models import AdmissionRequest, DischargeRequest
from functions.authorizations import logic
from functions.authorizations.models import InformationRequest
from functions.claims.logic import search
from functions.claims.models import ClaimSearch
from functions.shared.core import paging
from functions.shared.core.context import Ask
from functions.shared.core.errors import Problem
from functions.shared.core.schemas import Icd10Cm
from functions.shared.store.admissions import AdmissionStatus
from functions.shared.store.authorizations import AuthorizationStatus
from tests.unit.access.given import META, caller
from tests.unit.portal.conftest import PLAN, TODAY
from tests.unit.portal.test_authorization_rules import FORM, NOW, submit

YEAR = {"from_date": TODAY - timedelta(days=365), "to_date": TODAY}


def problem_of(call, *args, **kwargs) -> Problem:
    with pytest.raises(Problem) as caught:
        call(*args, **kwargs)
    return caught.value


def claims(account_id: str = "office", **fields):
    from tests.unit.access.given import NOW as today

    return search(ClaimSearch(**{"acting_for": "G1000001", **YEAR, **fields}),
                  Ask(caller(account_id), PLAN, META, today))


# --- cursors ---------------------------------------------------------------------------------------------


def _tampered(cursor: str) -> dict[str, str]:
    version, body, tag = cursor.split(".")
    other_key = paging._b64(b"2026-01-01#C26000101")
    flipped = tag[:-2] + ("AA" if tag[-2:] != "AA" else "BB")
    return {"edited key": f"{version}.{other_key}.{tag}", "edited tag": f"{version}.{body}.{flipped}",
            "truncated": cursor[: len(cursor) // 2], "no tag": f"{version}.{body}", "other version": f"v9.{body}.{tag}",
            "made up": "eyJzIjoicHJvdmlkZXIjUDIwMDAwMDEiLCJrIjoiMjAyNi0wMS0wMSJ9", "not base64": "v1.***.***",
            "empty parts": "v1..", "huge": "v1." + "A" * 340 + "." + tag}


def test_a_cursor_edited_truncated_or_made_up_is_a_422_on_cursor(repos, portal):
    portal("office", "G1000001")
    cursor = claims(provider_id="P2000001", page_size=1).next_cursor
    assert cursor and "C2600" not in cursor and "provider" not in cursor  # opaque: no JSON, no prefix
    for name, bad in _tampered(cursor).items():
        problem = problem_of(claims, provider_id="P2000001", page_size=1, cursor=bad)
        assert (problem.status, problem.errors[0].field, problem.errors[0].code) == (422, "cursor", "invalid"), name


def test_a_cursor_works_only_for_its_account_list_and_range(repos, portal):
    portal("office", "G1000001")
    portal("colleague", "G1000001")
    cursor = claims(provider_id="P2000001", page_size=1).next_cursor
    assert claims(provider_id="P2000001", page_size=1, cursor=cursor).claims  # its own search goes on
    foreign = problem_of(claims, "colleague", provider_id="P2000001", page_size=1, cursor=cursor)
    other_list = problem_of(claims, provider_id="G1000001", page_size=1, cursor=cursor)
    other_range = problem_of(claims, provider_id="P2000001", page_size=1, cursor=cursor,
                             from_date=TODAY - timedelta(days=30), to_date=TODAY)
    assert {p.errors[0].field for p in (foreign, other_list, other_range)} == {"cursor"}


def test_a_cursor_sealed_with_another_key_is_refused(repos, portal):
    portal("office", "G1000001")
    cursor = claims(provider_id="P2000001", page_size=1).next_cursor
    paging.use_key(b"a rotated key")
    assert problem_of(claims, provider_id="P2000001", page_size=1, cursor=cursor).errors[0].field == "cursor"


def test_a_member_search_reads_past_hidden_claims_and_its_cursor_never_names_one(repos, portal):
    portal("solo", "P2000004")
    jane = claims("solo", acting_for="P2000004", member_id="M100001", birth_date=date(1984, 3, 12), page_size=1)
    assert jane.claims == [] and jane.next_cursor is None  # all Jane's claims are the group's: no cursor to them
    portal("office", "G1000001")
    grace = claims(member_id="M100005", birth_date=date(1962, 5, 18), page_size=1)
    assert grace.claims == [] and grace.next_cursor is None  # Grace's claim is the solo practitioner's
    seen, cursor = [], None
    while True:
        page = claims(member_id="M100001", birth_date=date(1984, 3, 12), page_size=2, cursor=cursor)
        seen += [c.claim_id for c in page.claims]
        if page.next_cursor:
            shown_key = paging._unb64(page.next_cursor.split(".")[1]).decode()
            assert shown_key.endswith("#" + page.claims[-1].claim_id)  # the last claim shown, no other
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen and len(seen) == len(set(seen))


# --- who may change a record -------------------------------------------------------------------------------


def test_the_servicing_provider_sees_a_request_but_only_the_requesting_practice_changes_it(office, portal):
    request, _ = submit(servicing_provider_id="P2000004")
    portal("solo", "P2000004")
    seen = logic.open_request(request.authorization_id, "P2000004", Ask(caller("solo"), PLAN, META, NOW))
    assert seen.authorization_id == request.authorization_id
    refused = problem_of(logic.withdraw, request.authorization_id, "P2000004", Ask(caller("solo"), PLAN, META, NOW))
    assert (refused.status, refused.slug) == (403, "not-record-owner") and "G1000001" in refused.detail
    assert office.authorizations.get(request.authorization_id).status == AuthorizationStatus.PENDING
    from tests.unit.portal.test_authorization_rules import decide

    decide(request.authorization_id, "request_information", reason="Send the order")
    note = InformationRequest(acting_for="P2000004", note="From the servicing office")
    assert problem_of(logic.send_information, request.authorization_id, note, Ask(caller("solo"), PLAN, META,
                      NOW)).slug == "not-record-owner"
    assert office.authorizations.get(request.authorization_id).status == AuthorizationStatus.MORE_INFO_REQUESTED
    assert ("phi.authorization.change", "not_owner") in office.audit.actions("solo")


def test_the_attending_provider_sees_an_admission_but_only_the_facility_records_the_discharge(repos, portal,
                                                                                              monkeypatch):
    from functions.shared.core import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    portal("office", "G1000001")
    portal("solo", "P2000004")
    admission = notify(AdmissionRequest(acting_for="G1000001", member_id="M100001", birth_date=date(1984, 3, 12),
                                        facility_provider_id="G1000001", attending_provider_id="P2000004",
                                        admitted_at=NOW - timedelta(hours=5), admission_type="inpatient",
                                        admitting_diagnosis="U07.1"), Ask(caller("office"), PLAN, META, NOW))
    seen = open_admission(admission.admission_id, "P2000004", Ask(caller("solo"), PLAN, META, NOW))
    assert seen.admitting_diagnosis == "U07.1"
    home = DischargeRequest(acting_for="P2000004", discharged_at=NOW, disposition="home")
    refused = problem_of(discharge, admission.admission_id, home, Ask(caller("solo"), PLAN, META, NOW))
    assert (refused.status, refused.slug) == (403, "not-record-owner")
    assert repos.admissions.get(admission.admission_id).status == AdmissionStatus.ADMITTED


# --- idempotency by the whole submission -------------------------------------------------------------------


@pytest.mark.parametrize("changed", [
    {"urgency": "standard"}, {"diagnosis_codes": ["M25.562"]}, {"service_from": date(2026, 3, 11)},
    {"service_to": date(2026, 3, 21)}, {"servicing_provider_id": "P2000004"}, {"clinical_notes": "Other notes"},
    {"clinical_notes": None}, {"service_lines": [{"code": "73721", "units": 1}, {"code": "E0601", "units": 3}]},
    {"attachments": [{"name": "order.pdf", "content_type": "application/pdf", "content": "JVBERi0xLjQK"}]},
])
def test_a_key_reused_with_any_change_is_refused_and_the_stored_request_stays(office, changed):
    first, _ = submit()
    problem = problem_of(submit, **changed)
    assert (problem.status, problem.slug) == (422, "idempotency-key-reused")
    stored = office.authorizations.get(first.authorization_id)
    assert stored.urgency == "expedited" and stored.due_at == NOW + timedelta(hours=72)
    assert len(office.authorizations.requests) == 1


def test_a_retry_spelled_differently_is_the_same_submission(office):
    first, _ = submit()
    respelled = {**FORM, "member_id": "m100001", "diagnosis_codes": [" M25.561 "],
                 "service_lines": [{"code": "73721", "units": 1}, {"code": "E0601", "units": 2}]}
    again, new = submit(**respelled)
    assert not new and again.authorization_id == first.authorization_id


# --- codes and identifiers ---------------------------------------------------------------------------------

# The CMS ICD-10-CM code files' format: 3 to 7 characters, a letter, a digit, a digit or letter, then up to
# four letters or digits; the files list codes without the dot, claims and forms write it after the third.
VALID_ICD10CM = ["A00", "A000", "A00.0", "J18.9", "I21.A1", "C4A.0", "Z3A.01", "O9A.111", "M1A.0110",
                 "S72.001A", "T36.0X1A", "U07.1", "U07.0", "U09.9", "V00.01XA", "Z99.89", "e11.9", " j18.9 "]
INVALID_ICD10CM = ["", "J1", "J18.", "J18..9", "J18.99999", "1A0.0", "JJ8.9", "J18-9", "U07.1.1", "J 18.9",
                   "Ü07.1", "J18.9\x00"]


@pytest.mark.parametrize("code", VALID_ICD10CM)
def test_every_valid_icd10cm_chapter_is_accepted_and_kept_dotted(code):
    kept, typed = TypeAdapter(Icd10Cm).validate_python(code), code.strip().upper()
    assert kept.replace(".", "") == typed.replace(".", "") and (len(kept) == 3 or kept[3] == ".")


@pytest.mark.parametrize("code", INVALID_ICD10CM)
def test_a_malformed_icd10cm_code_is_refused(code):
    with pytest.raises(ValidationError):
        TypeAdapter(Icd10Cm).validate_python(code)


def test_identifiers_arrive_upper_case_whatever_the_client_typed():
    search_ = ClaimSearch(acting_for="g1000001", provider_id="p2000001", from_date=date(2026, 1, 1),
                          to_date=date(2026, 1, 31))
    assert (search_.acting_for, search_.provider_id) == ("G1000001", "P2000001")
    admission = AdmissionRequest(acting_for="g1000001", member_id="m100001", birth_date=date(1984, 3, 12),
                                 facility_provider_id="g1000001", admitted_at=datetime(2026, 3, 1, tzinfo=UTC),
                                 admission_type="inpatient", admitting_diagnosis="j18.9")
    assert (admission.member_id, admission.facility_provider_id) == ("M100001", "G1000001")
