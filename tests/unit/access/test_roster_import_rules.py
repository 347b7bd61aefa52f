"""Roster import on the in-memory roster: versions, the switch, and files applied once."""

from __future__ import annotations

import pytest

from devserver.roster import DEMO_ROSTER
from functions.roster_import.logic import import_roster
from functions.shared.store.transactions import StaleWrite
from tests.unit.access.given import NOW


@pytest.fixture
def roster(repos):
    repos.roster.version = None
    repos.roster.rows.clear()
    return repos.roster


def test_a_file_becomes_the_next_version_and_the_old_rows_go(roster):
    first = import_roster(DEMO_ROSTER.read_text(), "demo.csv", NOW)
    assert (first.status, first.roster_version, first.providers) == ("applied", 1, 6)
    moved = DEMO_ROSTER.read_text().replace("55 Elm St,Boston,MA,02108", "7 Pine St,Cambridge,MA,02139")
    second = import_roster(moved, "moved.csv", NOW)
    assert (second.status, roster.current_version()) == ("applied", 2)
    assert roster.provider("P2000004", 2).zips == {"02139"}
    assert {version for _, version in roster.rows} == {2}
    assert [p.provider_id for p in roster.under_tax_id("123456789", 2)] == ["G1000001", "P2000001", "P2000002"]


def test_the_same_file_again_changes_nothing(roster):
    import_roster(DEMO_ROSTER.read_text(), "demo.csv", NOW)
    rows = dict(roster.rows)
    again = import_roster(DEMO_ROSTER.read_text(), "again.csv", NOW)
    assert (again.status, again.roster_version) == ("unchanged", 1)
    assert roster.rows == rows


def test_an_import_that_loses_the_switch_says_so(roster, monkeypatch):
    def lost(*args, **kwargs):
        raise StaleWrite

    monkeypatch.setattr(roster, "switch_to", lost)
    with pytest.raises(RuntimeError, match="another roster import finished first"):
        import_roster(DEMO_ROSTER.read_text(), "demo.csv", NOW)
    assert roster.current_version() is None
