"""Hospital admissions on DynamoDB Local: over the local API Gateway, and ten identical notifications
racing on the real engine."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from functions.admissions.logic import notify
from functions.admissions.models import AdmissionRequest
from functions.shared.core.context import Ask
from functions.shared.core.errors import Problem
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.plans import plan_profile
from functions.shared.store.models import UniqueKey
from functions.shared.store.portal_models import AdmissionRecord
from tests.integration import test_portal_data as portal
from tests.integration.conftest import concurrently

data, group = portal.data, portal.group  # the demo data and a user with access to G1000001

JANE = {"member_id": "M100001", "birth_date": "1984-03-12"}


def admission(at, **fields) -> dict:
    admitted = (at - timedelta(hours=4)).astimezone(UTC).isoformat()
    return {"acting_for": "G1000001", "facility_provider_id": "G1000001", "attending_provider_id": "P2000001",
            "admitted_at": admitted, "admission_type": "inpatient", "admitting_diagnosis": "J18.9", **JANE, **fields}


def test_notify_open_discharge_over_the_api(gateway, group, clock):
    created = group.post("/admissions", admission(clock.now))
    assert created.status == 201 and created.body["late"] is False
    number = created.body["admission_id"]
    opened = group.get(f"/admissions/{number}?acting_for=G1000001")
    assert opened.status == 200 and opened.header("Cache-Control") == "no-store"
    again = group.post("/admissions", admission(clock.now))
    assert (again.status, again.body["type"]) == (409, "/problems/admission-exists")
    assert again.body["admission_id"] == number
    bad = group.post("/admissions", admission(clock.now, admitting_diagnosis="pneumonia"))
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "admitting_diagnosis"
    assert "ICD-10-CM" in bad.body["errors"][0]["message"]
    home = {"acting_for": "G1000001", "discharged_at": clock.now.isoformat(), "disposition": "home"}
    done = group.request("PATCH", f"/admissions/{number}", home)
    assert done.status == 200 and done.body["status"] == "discharged"
    twice = group.request("PATCH", f"/admissions/{number}", home)
    assert (twice.status, twice.body["type"]) == (409, "/problems/already-discharged")


def test_another_provider_reads_nothing_and_discharges_nothing(gateway, group, clock):
    number = group.post("/admissions", admission(clock.now)).body["admission_id"]
    solo = portal.with_access(gateway, "dr.chen@clinic.example", portal.SOLO)
    assert solo.get(f"/admissions/{number}?acting_for=P2000004").status == 404
    home = {"acting_for": "P2000004", "discharged_at": clock.now.isoformat(), "disposition": "home"}
    assert solo.request("PATCH", f"/admissions/{number}", home).status == 404
    listed = solo.post("/admissions/search", {"acting_for": "P2000004", "facility_provider_id": "G1000001",
                                              "from_date": "2026-01-01", "to_date": "2026-12-31"})
    assert listed.status == 422 and listed.body["errors"][0]["field"] == "facility_provider_id"
    assert AdmissionRecord.get(number).status == "admitted"


def test_ten_identical_notifications_racing_store_exactly_one(gateway, group, clock):
    who = Caller(portal._session_subject(group), "-", "full")
    request = AdmissionRequest.model_validate({**admission(clock.now), "birth_date": date(1984, 3, 12)})
    answers = concurrently(lambda i: notify(request, Ask(who, plan_profile("caresource"),
                                                         RequestMeta(f"r{i}", "198.51.100.7", "t"), clock.now)), 10)
    created = [a for a in answers if not isinstance(a, Problem)]
    refused = [a for a in answers if isinstance(a, Problem)]
    assert len(created) == 1 and len(refused) == 9
    assert {(p.status, p.slug, p.extra["admission_id"]) for p in refused} == {
        (409, "admission-exists", created[0].admission_id)}
    stored = [a for a in AdmissionRecord.scan() if a.member_id == "M100001"]
    assert [a.admission_id for a in stored] == [created[0].admission_id]
    claims = [k for k in UniqueKey.scan() if k.key.startswith("admission#M100001#")]
    assert [k.account_id for k in claims] == [created[0].admission_id]


def test_warnings_are_confirmed_not_refused_and_codes_kept_dotted(gateway, group, clock):
    # Given Jane's admission still open, notified with a code typed without its dot
    first = group.post("/admissions", admission(clock.now - timedelta(days=2), admitting_diagnosis="j189"))
    assert first.status == 201 and first.body["admitting_diagnosis"] == "J18.9"
    assert AdmissionRecord.get(first.body["admission_id"]).admitting_diagnosis == "J18.9"
    # When another admission of hers is notified, then nothing is stored yet: a warning to confirm
    warned = group.post("/admissions", admission(clock.now))
    assert (warned.status, warned.body["type"]) == (409, "/problems/confirm-warnings")
    assert [(w["code"], w.get("admission_id")) for w in warned.body["warnings"]] == [
        ("open-admission", first.body["admission_id"])]
    assert len([a for a in AdmissionRecord.scan() if a.member_id == "M100001"]) == 1
    # and sent again with the warning confirmed, it is notified
    confirmed = group.post("/admissions", admission(clock.now, confirmed_warnings=["open-admission"]))
    assert confirmed.status == 201 and confirmed.body["admission_id"] != first.body["admission_id"]
    # A member not covered on the admit date (Carlos's coverage ended last month) is a warning too
    carlos, a_minute_ago = {"member_id": "M100002", "birth_date": "1975-07-04"}, clock.now + timedelta(minutes=239)
    uncovered = group.post("/admissions", admission(a_minute_ago, **carlos))
    assert [w["code"] for w in uncovered.body["warnings"]] == ["not-covered"]
    notified = group.post("/admissions", admission(a_minute_ago, **carlos, confirmed_warnings=["not-covered"]))
    assert notified.status == 201
