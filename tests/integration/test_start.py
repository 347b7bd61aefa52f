"""The start page on DynamoDB Local, over the local API Gateway: a prior authorization the plan asks
information for, the demo data's decisions new on the first look and gone on the next, an open stay, an
access request for the administrator only, and nothing of member data for a billing member."""

from __future__ import annotations

from datetime import UTC, timedelta

from devserver.gateway import STAFF_HEADER
from functions.shared.store.models import Account, AuditEvent, Link
from tests.integration import test_portal_data as portal
from tests.integration.browser import Browser
from tests.integration.conftest import wait_for
from tests.integration.helpers import GROUP, signed_in_user

data, group = portal.data, portal.group  # the demo data and the administrator of G1000001
MEMBER = "front.desk@riverside.example"


def kinds(reply) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in reply.body["items"]:
        found.setdefault(item["kind"], []).append(item["title"])
    return found


def asked_for_information(gateway, group, clock) -> str:
    """A request sent from the pages, on which the plan's staff ask for more information."""
    today = clock.now.date()
    number = group.request("POST", "/authorizations", {
        "acting_for": "G1000001", "member_id": "M100001", "birth_date": "1984-03-12",
        "requesting_provider_id": "G1000001", "servicing_provider_id": "P2000001",
        "service_lines": [{"code": "E0601", "units": 1}], "diagnosis_codes": ["G47.33"],
        "service_from": (today + timedelta(days=3)).isoformat(), "service_to": (today + timedelta(days=30)).isoformat(),
        "urgency": "standard"}, headers={"Idempotency-Key": "k-start-0001"}).body["authorization_id"]
    nurse = Browser(gateway, ip="127.0.0.1")
    assert nurse.request("POST", f"/staff/authorizations/{number}/decision",
                         {"outcome": "request_information", "reason": "Send the sleep study report."},
                         headers={STAFF_HEADER: "um.nurse"}).status == 200
    return number


def test_the_demo_datas_items_then_only_what_is_new(gateway, group, clock):
    number = asked_for_information(gateway, group, clock)
    admitted = (clock.now - timedelta(days=3)).astimezone(UTC).isoformat()
    assert group.post("/admissions", {"acting_for": "G1000001", "facility_provider_id": "G1000001",
                                      "member_id": "M100001", "birth_date": "1984-03-12", "admitted_at": admitted,
                                      "admission_type": "inpatient", "admitting_diagnosis": "J18.9"}).status == 201

    first = group.get("/start")
    assert first.status == 200 and first.header("Cache-Control") == "no-store"
    found = kinds(first)
    assert found["information_requested"] == [f"{number}: the plan asks for more information"]
    (asked,) = [i for i in first.body["items"] if i["kind"] == "information_requested"]
    assert asked["detail"] == "Jane Doe (M100001), E0601. The plan's note: Send the sleep study report."
    assert sorted(found["authorization_decided"]) == ["PA-DEMO000004 approved", "PA-DEMO000005 denied",
                                                      "PA-DEMO000006 partially approved"]
    (stay,) = [i for i in first.body["items"] if i["kind"] == "admission_open"]
    assert stay["detail"].startswith("Jane Doe (M100001), inpatient, admitted 3 days ago.")
    assert first.body["last_visit"] is None and first.body["has_access"] is True
    subject = portal._session_subject(group)
    assert Account.get(subject).start_seen_at == clock.now
    (audited,) = [r for r in AuditEvent.query(subject) if r.action == "phi.start.read"]
    assert audited.detail["provider_ids"] == ["G1000001"] and audited.detail["member_ids"] == ["M100001"]
    assert int(audited.detail["authorizations"]) == 8 and int(audited.detail["admissions"]) == 1

    clock.advance(minutes=2)
    again = group.get("/start")
    assert "authorization_decided" not in kinds(again) and "information_requested" in kinds(again)
    assert again.body["last_visit"] is not None


def test_access_requests_for_the_administrator_and_no_member_data_for_billing(gateway, group):
    member = signed_in_user(gateway, MEMBER, "Fran")
    assert member.post("/links", GROUP).body["status"] == "pending_admin"
    (request,) = [i for i in group.get("/start").body["items"] if i["kind"] == "access_request"]
    assert request["title"] == "Fran Doe asks for access to Riverside Family Practice"
    assert request["link"] == "/members.html?provider=G1000001" and request["due"]
    assert member.get("/start").body["items"] == []  # waiting: nothing of the group yet

    account_id = next(link.account_id for link in Link.scan() if link.requester_email == MEMBER)
    wait_for(lambda: Link.get(account_id, "G1000001").waiting_token)
    assert group.post(f"/providers/G1000001/requests/{account_id}/decision", {"approve": True}).status == 200
    agreement = wait_for(lambda: [i for i in member.get("/start").body["items"] if i["kind"] == "agreement"])
    assert agreement[0]["link"] == "/agreement.html"
    member.post("/agreements/provider", {"version": member.get("/agreements/provider").body["version"]})
    assert wait_for(lambda: member.get("/start").body["has_access"])

    def reads() -> int:
        return len([r for r in AuditEvent.query(account_id) if r.action == "phi.start.read"])

    standard = reads()
    billing = group.request("PUT", f"/providers/G1000001/members/{account_id}/features", {"preset": "billing"})
    assert billing.status == 200 and billing.body["features"] == ["eligibility", "claims"]
    page = member.get("/start").body
    assert page["items"] == [] and page["features"] == ["eligibility", "claims"]
    assert reads() == standard  # no member data read, none audited
