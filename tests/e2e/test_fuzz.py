"""Fuzzing the API with schemathesis, as a test: the committed contract against a running devserver,
for a link plan (caresource) and cmo: the public document without credentials and as a fully signed-in,
linked user, the staff document as signed staff.

A fixed seed and a modest example count keep it to a few minutes; `make fuzz` runs a deeper pass
(FUZZ_EXAMPLES, and the coverage phase). 0 failures: a failure prints schemathesis' report (also in
test-artifacts/fuzz-*).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from infra.routes import PORTAL_ROUTES
from tests.e2e.conftest import Portal, start_portal, stop_portal
from tests.e2e.fuzz import Client, FuzzResult, run_fuzz, signed_in_linked_user

PUBLIC_ROUTES = [r for r in PORTAL_ROUTES if not r.iam]
STAFF_ROUTES = [r for r in PORTAL_ROUTES if r.iam]

# A devserver's start, a signed-in user and a schemathesis run take minutes on a busy 2-core machine.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))


@pytest.fixture(scope="module", params=["caresource", "cmo"])
def fuzzed(request: pytest.FixtureRequest) -> Iterator[tuple[Portal, Client]]:
    """A devserver of its own (the user must be the first to link G1000001) and its signed-in user."""
    portal = start_portal(request.param, f"fuzz-{request.param}")
    try:
        yield portal, signed_in_linked_user(portal)
    finally:
        stop_portal(portal)


def _passed(result: FuzzResult) -> str:
    return f"schemathesis found failures (report in {result.report}):\n{result.output[-20000:]}"


def test_fuzzing_without_credentials_finds_nothing(fuzzed: tuple[Portal, Client]) -> None:
    portal, _ = fuzzed
    result = run_fuzz(portal, f"{portal.plan}-anonymous", examples=EXAMPLES)
    assert result.returncode == 0, _passed(result)
    assert f"Tested: {len(PUBLIC_ROUTES)}" in result.output  # every operation of the public document


def test_fuzzing_as_a_signed_in_linked_user_finds_nothing(fuzzed: tuple[Portal, Client]) -> None:
    portal, user = fuzzed
    result = run_fuzz(portal, f"{portal.plan}-signed-in", examples=EXAMPLES, user=user)
    assert result.returncode == 0, _passed(result)
    # The session lived through the run: the user still reaches the portal's data.
    assert user.call("GET", "/portal/providers")[0] == 200


def test_fuzzing_the_staff_api_as_signed_staff_finds_nothing(fuzzed: tuple[Portal, Client]) -> None:
    portal, _ = fuzzed
    result = run_fuzz(portal, f"{portal.plan}-staff", examples=EXAMPLES, staff=True)
    assert result.returncode == 0, _passed(result)
    assert f"Tested: {len(STAFF_ROUTES)}" in result.output  # every operation of the staff document
