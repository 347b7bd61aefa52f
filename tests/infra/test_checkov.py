"""checkov on the synthesized templates of dev (reserves no concurrency, no custom domain) and prod (both):
a finding infra/checkov.py does not answer fails here, as it fails `make scan`.

checkov runs from its own virtualenv (.venv-checkov, requirements/checkov.txt), which `make test` and
`make scan` create.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra import checkov
from tests.infra.helpers import Synth, synth

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth(tmp_path_factory.mktemp("cdk.out"), stage="prod", plan="caresource")


def _scan(synthed: Synth) -> list[dict[str, Any]]:
    assert CHECKOV.exists(), "checkov is not installed: `make .venv-checkov/.installed` (make test does it)"
    templates = sorted(synthed.outdir.glob("*.template.json"))
    assert templates
    result = subprocess.run(
        [str(CHECKOV), "--config-file", str(ROOT / ".checkov.yaml"), "--output", "json",
         *(arg for template in templates for arg in ("-f", str(template)))],
        capture_output=True, text=True, check=False, timeout=300, cwd=synthed.outdir,
    )
    assert result.returncode in (0, 1), result.stderr  # 1: failed checks, reported below
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_checkov_finds_nothing_unanswered(stage: str, request: pytest.FixtureRequest) -> None:
    reports = _scan(request.getfixturevalue(stage))
    failed = [f"{f['check_id']} {f['resource']} ({f['check_name']})"
              for report in reports for f in report["results"]["failed_checks"]]
    assert failed == [], "answer each in infra/checkov.py (or fix the resource):\n" + "\n".join(failed)
    skipped = [f for report in reports for f in report["results"]["skipped_checks"]]
    assert skipped, "the answers in infra/checkov.py did not reach the templates"
    reasons = {check.reason for check in checkov.SKIPS}
    for finding in skipped:  # every skip is one of ours, with its reason
        assert finding["check_result"]["suppress_comment"] in reasons, finding["resource"]


def test_every_answer_is_written_once_per_resource(dev: Synth) -> None:
    template = dev.template()
    marked = {name: resource["Metadata"]["checkov"]["skip"] for name, resource in template["Resources"].items()
              if "checkov" in resource.get("Metadata", {})}
    function = next(iter(dev.stack.functions.functions.values()))
    entries = marked[dev.stack.resolve(function.node.default_child.logical_id)]
    # every answer for one resource is kept (CloudFormation keeps one Metadata key per resource)
    assert {"CKV_AWS_117", "CKV_AWS_173"} <= {entry["id"] for entry in entries}
    for entries in marked.values():
        ids = [entry["id"] for entry in entries]
        assert len(ids) == len(set(ids))
