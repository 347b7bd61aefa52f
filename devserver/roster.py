"""Roster files, locally: the same path as in AWS (object in the roster bucket → import function),
driven by the devserver at start (demo roster) or by `python -m devserver.roster FILE`."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEMO_ROSTER = Path(__file__).resolve().parent / "data" / "demo-roster.csv"
ROSTER_PATH = "/dev/roster"


def import_csv(env: Mapping[str, str], session: Any, text: str, name: str) -> dict[str, Any]:
    """Upload the file and run the import function on its S3 event; returns the import report."""
    from devserver.imports import run_import
    from infra.routes import ROSTER_IMPORT

    return run_import(env, session, ROSTER_IMPORT, "ROSTER_BUCKET", text, name)


def demo_roster(env: Mapping[str, str], session: Any) -> None:
    report = import_csv(env, session, DEMO_ROSTER.read_text(), DEMO_ROSTER.name)
    if report["status"] != "applied":
        raise RuntimeError(f"the demo roster did not import: {report}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Import a roster CSV into the running devserver.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--portal", default="http://127.0.0.1:3000")
    args = parser.parse_args()
    request = urllib.request.Request(  # noqa: S310 - the local devserver
        f"{args.portal}{ROSTER_PATH}?name={args.file.name}", args.file.read_bytes(),
        {"Content-Type": "text/csv"}, method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        report = json.load(response)
    print(json.dumps(report, indent=2))
    sys.exit(0 if report["status"] != "rejected" else 1)


if __name__ == "__main__":
    main()
