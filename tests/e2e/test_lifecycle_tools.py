"""The lifecycle's local tools against a running devserver of this module alone: `make job` (as of a
day 60 days ahead) deactivates an account and the outbox shows why; the staff tool reactivates it."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import Portal

pytestmark = pytest.mark.e2e

STRONG = "Lantern-Orbit-42"


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=300, check=False)


def test_a_job_run_as_of_day_60_deactivates_and_staff_reactivate(own_portal: Portal) -> None:
    email = f"e2e-{uuid.uuid4().hex[:10]}@clinic.example"
    status, _, _ = own_portal.request("POST", "/api/registrations", {
        "email": email, "password": STRONG, "first_name": "Ada", "last_name": "Lovelace"})
    assert status == 202
    [mail] = own_portal.mails_to(email)
    token = next(link["href"] for link in mail["links"] if link["label"] == "Activate Account").split("#token=")[1]
    assert own_portal.request("POST", "/api/activations", {"token": token})[0] == 200

    day_60 = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    run = tool("devserver.jobs", "deactivate", "--as-of", day_60, "--portal", own_portal.url)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["as_of"] == day_60 and report["failed"] == []
    assert own_portal.mails_to(email)[0]["subject"] == "Your CareSource Provider Portal account was deactivated"

    signin = own_portal.request("POST", "/api/sessions", {"login": email, "password": STRONG})
    assert signin[0] == 403 and signin[2]["type"] == "/problems/signin-failed"

    staff = tool("devserver.staff", "reactivate", email, "--reason", "Caller verified by phone",
                 "--portal", own_portal.url)
    assert staff.returncode == 0, staff.stderr
    assert "Account reactivated" in staff.stdout
    assert own_portal.mails_to(email)[0]["subject"] == "Your CareSource Provider Portal account is active again"
    assert own_portal.request("POST", "/api/sessions", {"login": email, "password": STRONG})[0] == 200
