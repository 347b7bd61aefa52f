"""Portal-data extracts (FHIR R4 NDJSON: Patient, Coverage, ExplanationOfBenefit), locally: the same
import as the portal-data function, run by the devserver at start (demo data, generated for today) or by
`python -m devserver.load FILE` against a running devserver."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

LOAD_PATH = "/dev/load"


def import_ndjson(text: str, name: str) -> dict[str, Any]:
    """Validate and import an extract; returns the import report (what the function writes to S3)."""
    from functions.portal_data_import.logic import import_extract

    return import_extract(text, Path(name).name).model_dump()


def demo_portal_data(today: date) -> dict[str, Any]:
    from devserver.demo_portal_data import ndjson

    report = import_ndjson(ndjson(today), "demo-portal-data.ndjson")
    if report["status"] == "rejected":
        raise RuntimeError(f"the demo portal data did not import: {report['problems'][:3]}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="Import a FHIR NDJSON extract into the running devserver.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--portal", default="http://127.0.0.1:3000")
    args = parser.parse_args()
    request = urllib.request.Request(  # noqa: S310 - the local devserver
        f"{args.portal}{LOAD_PATH}?name={args.file.name}", args.file.read_bytes(),
        {"Content-Type": "application/x-ndjson"}, method="POST")
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
        report = json.load(response)
    print(json.dumps(report, indent=2))
    sys.exit(0 if report.get("status") != "rejected" else 1)


if __name__ == "__main__":
    main()
