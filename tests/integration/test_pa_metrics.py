"""Prior-authorization metrics on DynamoDB Local + moto: a past year's requests submitted and decided through
the real handlers (the portal's submission, the staff decision route, an appeal), beside the plan's own decided
requests from the demo extract; then the staff route computes and publishes the year, the public routes serve
it, an unpublished year is 404 and the current year is refused; the yearly schedule's event publishes it again."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from devserver.demo_portal_data import ndjson
from devserver.gateway import ACCOUNT_ID
from devserver.local_aws import LOCAL_ENV
from devserver.roster import DEMO_ROSTER
from functions.pa_metrics.logic import year_of
from functions.roster_import.logic import import_roster
from functions.shared.store.models import AuditEvent
from tests.integration import test_portal_data as portal
from tests.integration.browser import Browser
from tests.integration.helpers import PROVEN_GROUP, staff_client
from tests.integration.test_authorizations import form

THIS_YEAR = year_of(datetime.now(UTC))
YEAR = THIS_YEAR - 1
STARTED = datetime(YEAR, 6, 10, 15, tzinfo=UTC)
UM = "um.nurse"
ANALYST = "quality.analyst"
ANALYST_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/{ANALYST}"  # as the devserver signs for staff


@pytest.fixture
def last_year(clock):
    """The whole portal lives on 10 June of last year."""
    clock.now = STARTED
    return clock


@pytest.fixture
def group(last_year, gateway, aws) -> Browser:
    """The demo roster and extract as of that day (its decided requests among them), and a user with access to
    G1000001."""
    assert import_roster(DEMO_ROSTER.read_text(), "demo.csv", STARTED).status == "applied"
    assert portal.run_import(aws, ndjson(STARTED.date()), "demo.ndjson")["status"] == "applied"
    return portal.with_access(gateway, "office@riverside.example", PROVEN_GROUP)


def test_a_past_year_is_computed_published_and_served(last_year, gateway, group, aws):
    clock = last_year
    nurse = staff_client(gateway, UM)

    def submit(key: str, **fields: object) -> str:
        made = group.request("POST", "/authorizations", form(clock.now.date(), **fields),
                             headers={"Idempotency-Key": key})
        assert made.status == 201, made.body
        return made.body["authorization_id"]

    def decide(number: str, outcome: str) -> None:
        decided = nurse.post(f"/staff/authorizations/{number}/decision", {"outcome": outcome, "reason": "Reviewed"})
        assert decided.status == 200, decided.body

    # Given four requests through the portal on 10 June (an expedited one, and one for a drug alone)
    denied = submit("pam-0001", urgency="standard")
    extended = submit("pam-0002", urgency="standard")
    expedited = submit("pam-0003", urgency="expedited")
    drug = submit("pam-0004", urgency="standard", service_lines=[{"code": "J1100", "units": 1}])
    # When the plan asks for information on one, and the practice sends it
    clock.advance(minutes=10)
    decide(extended, "request_information")
    clock.advance(minutes=10)
    assert group.post(f"/authorizations/{extended}/information",
                      {"acting_for": "G1000001", "note": "Six weeks of therapy notes are attached."}).status == 200
    # And one is denied after 25 minutes and appealed; the appeal is approved
    clock.advance(minutes=5)
    decide(denied, "deny")
    clock.advance(minutes=5)
    appealed = group.post(f"/authorizations/{denied}/appeal", {"acting_for": "G1000001", "urgency": "standard",
                                                              "reason": "Therapy notes show six weeks tried."})
    assert appealed.status == 201, appealed.body
    clock.advance(minutes=10)
    decide(appealed.body["authorization_id"], "approve")
    # And the others are decided 1, 2 and 3 hours after they came in
    clock.now = STARTED.replace(hour=16)
    decide(expedited, "approve")
    clock.now = STARTED.replace(hour=17)
    decide(drug, "approve")
    clock.now = STARTED.replace(hour=18)
    decide(extended, "approve")

    # When staff compute last year, this year
    clock.now = datetime.now(UTC)
    analyst = staff_client(gateway, ANALYST)
    published = analyst.post(f"/staff/prior-authorization-metrics/{YEAR}")
    assert published.status == 200, published.body

    # Then the figures count the portal's requests and the plan's decided ones (demo extract: PA-DEMO000004
    # approved after 30 hours, PA-DEMO000006 partially approved after 40, expedited PA-DEMO000005 denied after 30)
    figures = published.body
    assert figures["standard"] == {
        "determinations": 4, "approved": 3, "partially_approved": 1, "denied": 1, "approved_percent": 75.0,
        "partially_approved_percent": 25.0, "denied_percent": 25.0, "appealable": 2, "appealed": 1,
        "approved_after_appeal": 1, "approved_after_appeal_percent": 50.0, "extended": 1, "extended_approved": 1,
        "extended_approved_percent": 25.0,
        "average_hours": 18.4,  # (25 minutes + 3 + 30 + 40 hours) / 4 = 18.354
        "median_hours": 16.5}  # (3 + 30) / 2
    assert figures["expedited"] == {
        "determinations": 2, "approved": 1, "partially_approved": 0, "denied": 1, "approved_percent": 50.0,
        "partially_approved_percent": 0.0, "denied_percent": 50.0, "appealable": 1, "appealed": 0,
        "approved_after_appeal": 0, "approved_after_appeal_percent": 0.0, "extended": 0, "extended_approved": 0,
        "extended_approved_percent": 0.0, "average_hours": 15.5, "median_hours": 15.5}
    assert figures["by_door"] == {"portal": 3, "api": 0, "import": 3}
    assert figures["excluded"] == {"appeals": 1, "drugs": 1, "withdrawn": 0}
    assert figures["year"] == YEAR and figures["time_zone"] == "America/New_York"

    # And anyone reads them on the public routes, as published
    visitor = Browser(gateway)
    listed = visitor.get("/public/prior-authorization-metrics")
    assert (listed.status, listed.body) == (200, {"years": [YEAR], "latest": YEAR})
    served = visitor.get(f"/public/prior-authorization-metrics/{YEAR}")
    assert (served.status, served.body) == (200, figures)
    missing = visitor.get(f"/public/prior-authorization-metrics/{YEAR - 5}")
    assert (missing.status, missing.header("Content-Type"), missing.body["type"]) == (
        404, "application/problem+json", "/problems/metrics-not-published")
    assert visitor.get("/public/prior-authorization-metrics/1999").status == 422

    # And the current year is refused; only staff may compute
    refused = analyst.post(f"/staff/prior-authorization-metrics/{THIS_YEAR}")
    assert (refused.status, refused.header("Content-Type"), refused.body["type"]) == (
        409, "application/problem+json", "/problems/year-not-over")
    assert str(YEAR) in refused.body["detail"]
    assert visitor.post(f"/staff/prior-authorization-metrics/{YEAR}").status == 403

    # And staff read the basis: every request decided in the year, counted or not and why
    basis = analyst.get(f"/staff/prior-authorization-metrics/{YEAR}/basis")
    assert basis.status == 200 and basis.header("Content-Type").startswith("text/csv")
    rows = {r["request"]: r for r in csv.DictReader(io.StringIO(basis.body.decode()))}
    assert (rows[denied]["outcome"], rows[denied]["appeal"], rows[denied]["appeal_outcome"]) == (
        "denied", appealed.body["authorization_id"], "approved")
    assert (rows[extended]["extended"], rows[extended]["hours"], rows[drug]["left_out_because"]) == (
        "yes", "3.0", "drug")
    assert rows[appealed.body["authorization_id"]]["left_out_because"] == "appeal"
    assert {rows[f"PA-DEMO00000{n}"]["door"] for n in (4, 5, 6)} == {"import"}

    # And both files are in the private portal-data bucket; the publication and the read are audited
    s3 = aws.client("s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=LOCAL_ENV["PORTAL_DATA_BUCKET"],
                                                        Prefix="pa-metrics/")["Contents"])
    assert keys == [f"pa-metrics/basis/{YEAR}.csv", f"pa-metrics/published/{YEAR}.json"]
    # (at the same instant of the test's clock: records of one instant are in no particular order)
    assert sorted((r.action, r.outcome) for r in AuditEvent.query(ANALYST_ARN)) == [
        ("pa_metrics.basis", "downloaded"), ("pa_metrics.publish", "published")]

    # When the yearly schedule's event runs on 15 January (as `make job NAME=pa-metrics` runs it)
    from devserver.jobs import run_job

    ran = run_job("pa-metrics", f"{THIS_YEAR}-01-15")
    # Then it publishes last year again, with the same figures
    assert ran["year"] == YEAR and ran["computed_at"].startswith(f"{THIS_YEAR}-01-15")
    again = visitor.get(f"/public/prior-authorization-metrics/{YEAR}").body
    assert again["computed_at"].startswith(f"{THIS_YEAR}-01-15")
    assert {k: v for k, v in again.items() if k != "computed_at"} == {
        k: v for k, v in figures.items() if k != "computed_at"}
    assert [r.action for r in AuditEvent.query("pa-metrics-schedule")] == ["pa_metrics.publish"]
