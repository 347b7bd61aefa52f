"""Portal-data extracts (FHIR R4 NDJSON: Patient, Coverage, ExplanationOfBenefit), locally: the same
import as the portal-data function, run by the devserver at start (demo data, generated for today) or by
`python -m devserver.load FILE` against a running devserver."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

LOAD_PATH = "/dev/load"


def import_ndjson(env: Mapping[str, str], session: Any, data: str | bytes, name: str) -> dict[str, Any]:
    """Upload the extract and run the import function on its S3 event; returns the import report."""
    from devserver.imports import run_import
    from infra.routes import PORTAL_DATA_IMPORT

    return run_import(env, session, PORTAL_DATA_IMPORT, "PORTAL_DATA_BUCKET", data, name)


def demo_portal_data(env: Mapping[str, str], session: Any, today: date) -> dict[str, Any]:
    from devserver.demo_portal_data import ndjson

    report = import_ndjson(env, session, ndjson(today), "demo-portal-data.ndjson")
    if report["status"] == "rejected":
        raise RuntimeError(f"the demo portal data did not import: {report['problems'][:3]}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="Import a FHIR NDJSON extract into the running devserver.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--portal", default="http://127.0.0.1:3000")
    args = parser.parse_args()
    request = urllib.request.Request(  # noqa: S310 - the local devserver
        f"{args.portal}{LOAD_PATH}?name={quote(args.file.name)}", args.file.read_bytes(),
        {"Content-Type": "application/x-ndjson"}, method="POST")
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
        report = json.load(response)
    print(json.dumps(report, indent=2))
    # anything quarantined or in conflict is a failure for a script that loads files
    sys.exit(0 if report.get("status") in ("applied", "unchanged") else 1)


if __name__ == "__main__":
    main()
