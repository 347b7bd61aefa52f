"""`python -m bench --quick`: every bench section still runs against the current functions, each once at
small sizes (the sections start their own DynamoDB Local and moto), so a change that breaks one fails here.
The figures themselves are not checked: `make bench` is where they are read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import SECTIONS

ROOT = Path(__file__).resolve().parents[2]
# The first line of each section's report.
TITLES = {
    "coldstart": "Cold start: import + init of the handler module",
    "aws_calls": "AWS API calls per request",
    "cost": "Monthly cost per active user",
    "hashing": "Password hashing",
    "layer_size": "Dependency layers",
    "portal_paging": "Claim lists at scale on DynamoDB Local",
    "lifecycle_job": "The daily inactivity job on DynamoDB Local",
    "enumeration": "Account enumeration by timing",
    "portal_data_import": "Portal-data import of a Bulk Data export",
    "portal_data_workflow": "Portal-data import workflow at scale",
    "provider_export": "Provider Access export on DynamoDB Local",
}


@pytest.mark.timeout(900)
def test_every_bench_section_runs_clean_in_quick_mode():
    assert set(TITLES) == set(SECTIONS), "a new bench section needs its report title here"
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL_DYNAMODB"}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=840, check=False)
    shown = f"stdout (end):\n{done.stdout[-8000:]}\nstderr (end):\n{done.stderr[-4000:]}"
    assert done.returncode == 0, shown
    missing = [section for section, title in TITLES.items() if f"\n{title}" not in done.stdout]
    assert not missing, f"no report from {missing}\n{shown}"
    assert "FAILED" not in done.stdout and "ERROR" not in done.stdout, shown
