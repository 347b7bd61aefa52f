"""Whether a member exists must not show in the work a member lookup does: eligibility, a claim search by
member, a prior-authorization request and an admission notice, asked for an unknown member ID, for a
member with a wrong birth date and for another provider's member with a wrong birth date, answer alike
and make the same AWS calls, on the same tables, in the same order: the same profile read, rate-limit
write and audit record (the timing itself is measured by `make bench`, not here)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest

from devserver.local_aws import LOCAL_ENV
from tests.integration import test_portal_data as portal
from tests.integration.test_admissions import admission
from tests.integration.test_authorizations import form
from tests.integration.test_enumeration_work import calls

data, group = portal.data, portal.group  # the demo data and a user with access to G1000001

# Jane Doe's primary care is in group G1000001; Grace Kim's (M100005) with the solo practitioner P2000004.
CASES = {
    "unknown member ID": {"member_id": "M999999", "birth_date": "1984-03-12"},
    "wrong birth date": {"member_id": "M100001", "birth_date": "1984-03-13"},
    "another provider's member": {"member_id": "M100005", "birth_date": "1962-05-19"},
}
_keys = itertools.count()
MEMBERS, RATE_LIMITS, AUDIT = (LOCAL_ENV[f"{name}_TABLE"] for name in ("MEMBERS", "RATE_LIMITS", "AUDIT"))


def _eligibility(browser: Any, now: datetime, member: dict[str, str]) -> Any:
    return browser.post("/eligibility", {"acting_for": "G1000001", "service_date": now.date().isoformat(), **member})


def _claim_search(browser: Any, now: datetime, member: dict[str, str]) -> Any:
    year_ago = (now - timedelta(days=365)).date().isoformat()
    return browser.post("/claims/search", {"acting_for": "G1000001", "from_date": year_ago,
                                           "to_date": now.date().isoformat(), **member})


def _authorization(browser: Any, now: datetime, member: dict[str, str]) -> Any:
    return browser.request("POST", "/authorizations", form(now.date(), **member),
                           headers={"Idempotency-Key": f"k-member-work-{next(_keys)}"})


def _admission(browser: Any, now: datetime, member: dict[str, str]) -> Any:
    return browser.post("/admissions", admission(now, **member))


LOOKUPS = {"eligibility": _eligibility, "claim search": _claim_search, "authorization": _authorization,
           "admission": _admission}


def dynamodb(made: list[str]) -> list[str]:
    return [call for call in made if call.startswith("dynamodb.")]


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_a_member_lookup_does_the_same_work_whatever_member_it_misses(group, clock, lookup):
    ask = LOOKUPS[lookup]
    ask(group, clock.now, CASES["unknown member ID"])  # first clients and cached secrets out of the comparison
    replies, work = {}, {}
    for case, member in CASES.items():
        with calls() as made:
            replies[case] = ask(group, clock.now, member)
        work[case] = made
    bodies = {case: (reply.status, reply.body) for case, reply in replies.items()}
    assert {status for status, _ in bodies.values()} == {404}
    assert len({repr(body) for _, body in bodies.values()}) == 1, bodies
    assert bodies["unknown member ID"][1]["type"] == "/problems/member-not-found"
    unknown = work["unknown member ID"]
    assert work["wrong birth date"] == unknown
    assert work["another provider's member"] == unknown
    reads = dynamodb(unknown)
    # One member read, a GetItem of a profile (the same item shape whether there or not), no coverage read.
    assert [c for c in reads if MEMBERS in c] == [f"dynamodb.GetItem({MEMBERS})"]
    assert f"dynamodb.UpdateItem({RATE_LIMITS})" in reads  # the request is counted against the hourly limit
    assert f"dynamodb.PutItem({AUDIT})" in reads  # and audited, member or not


def test_eligibility_by_name_reads_one_profile_whether_the_names_find_someone_or_not(group, clock):
    jane = {"last_name": "Doe", "first_name": "Jane"}
    _eligibility(group, clock.now, {**jane, "birth_date": "1984-03-12"})
    work = {}
    for case, asked in {"nobody": {"last_name": "Nobody", "first_name": "Jane", "birth_date": "1984-03-12"},
                        "wrong birth date": {**jane, "birth_date": "1984-03-13"},
                        "found": {**jane, "birth_date": "1984-03-12"}}.items():
        with calls() as made:
            reply = _eligibility(group, clock.now, asked)
        work[case] = (reply.status, dynamodb(made))
    assert work["nobody"] == work["wrong birth date"]
    assert work["nobody"][0] == 404 and work["found"][0] == 200
    [(_, missed), (_, found)] = work["nobody"], work["found"]
    # The same index query and profile read up to the decision; only a member who matched has coverage read.
    assert [c for c in missed if MEMBERS in c] == [f"dynamodb.Query({MEMBERS})", f"dynamodb.GetItem({MEMBERS})"]
    assert [c for c in found if MEMBERS in c] == [f"dynamodb.Query({MEMBERS})", f"dynamodb.GetItem({MEMBERS})",
                                                   f"dynamodb.Query({MEMBERS})"]
