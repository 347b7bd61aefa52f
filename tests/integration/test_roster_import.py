"""Roster import on moto: every bad row reported, nothing half-applied, re-runs change nothing."""

from __future__ import annotations

import json

import pytest

from devserver.local_aws import LOCAL_ENV
from devserver.roster import DEMO_ROSTER, import_csv
from functions.roster_import.logic import import_roster
from functions.shared.core.clock import now
from functions.shared.store import repositories
from functions.shared.store.models import ROSTER_STATE_KEY, Provider

HEADER = "provider_id,provider_type,first_name,last_name,group_name,tax_id,address,city,state,zip\n"


def test_a_valid_file_is_applied_as_a_new_version(aws):
    report = import_roster(DEMO_ROSTER.read_text(), "demo.csv", now())
    assert report.status == "applied" and report.roster_version == 1 and report.providers == 6
    group = repositories().roster.provider("G1000001", 1)
    assert group.zips == {"43215", "43017"} and len(group.addresses) == 2
    assert [p.provider_id for p in repositories().roster.under_tax_id("123456789", 1)] == [
        "G1000001", "P2000001", "P2000002"]


def test_the_same_file_again_changes_nothing(aws):
    import_roster(DEMO_ROSTER.read_text(), "demo.csv", now())
    before = sorted((p.provider_id, p.roster_version) for p in Provider.scan())  # state item included
    again = import_roster(DEMO_ROSTER.read_text(), "demo-again.csv", now())
    assert again.status == "unchanged" and again.roster_version == 1
    assert sorted((p.provider_id, p.roster_version) for p in Provider.scan()) == before


def test_every_bad_row_is_reported_and_nothing_is_applied(aws):
    import_roster(DEMO_ROSTER.read_text(), "demo.csv", now())
    bad = HEADER + "\n".join([
        "P3000001,Practitioner,Ann,Lee,,12-3456789,1 Main St,Columbus,OH,43215",  # fine
        "P3000002,Dentist,Bo,Ray,,12-3456789,1 Main St,Columbus,OH,43215",  # type
        "P3000003,Practitioner,,Ray,,123,1 Main St,Columbus,OH,4321",  # name, tax id, zip
        "G3000001,Group,,,,12-3456789,1 Main St,Columbus,Ohio,43215",  # group name, state
        "P3000001,Practitioner,Ann,Leigh,,12-3456789,2 Main St,Columbus,OH,43215",  # conflicts with line 2
    ]) + "\n"
    report = import_roster(bad, "bad.csv", now())
    assert report.status == "rejected"
    lines = {row.line: row.errors for row in report.bad_rows}
    assert sorted(lines) == [3, 4, 5, 6]
    assert lines[4] == ["a practitioner needs first_name and last_name", "tax_id must have 9 digits",
                        "zip must be a 5-digit ZIP or a ZIP+4"]
    assert "different type, name or Tax ID" in lines[6][0]
    assert repositories().roster.current_version() == 1 and repositories().roster.provider("P3000001", 1) is None


def test_missing_columns_are_named(aws):
    report = import_roster("provider_id,tax_id\nX1,123456789\n", "short.csv", now())
    assert report.status == "rejected" and "missing column(s)" in report.bad_rows[0].errors[0]


def test_a_new_file_switches_lookups_at_once_and_drops_the_old_rows(aws):
    import_roster(DEMO_ROSTER.read_text(), "demo.csv", now())
    moved = DEMO_ROSTER.read_text().replace("55 Elm St,Boston,MA,02108", "7 Pine St,Cambridge,MA,02139")
    report = import_roster(moved, "moved.csv", now())
    assert report.status == "applied" and repositories().roster.current_version() == 2
    assert repositories().roster.provider("P2000004", 2).zips == {"02139"}
    assert {p.roster_version for p in Provider.scan() if p.provider_id != ROSTER_STATE_KEY} == {2}


@pytest.mark.parametrize("name", ["demo.csv"])
def test_the_s3_path_writes_a_report_beside_the_file(aws, name):
    report = import_csv(LOCAL_ENV, aws, DEMO_ROSTER.read_text(), name)
    assert report["status"] == "applied"
    stored = aws.client("s3").get_object(Bucket=LOCAL_ENV["ROSTER_BUCKET"],
                                         Key=f"reports/incoming/{name}.report.json")["Body"].read()
    assert json.loads(stored)["providers"] == 6
