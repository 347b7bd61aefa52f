"""Portal-data extracts (FHIR R4 NDJSON) locally: the same import as the portal-data function, run by the
devserver at start (demo data, generated for today) or against a running devserver by

    python -m devserver.load FILE.ndjson          # one extract, as if dropped under incoming/
    python -m devserver.load FOLDER               # a Bulk Data export: its NDJSON files and manifest.json
    python -m devserver.load FOLDER/manifest.json #   (a manifest is made from the file names if it has none)

It prints the report and exits 1 when anything was quarantined, in conflict or rejected."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

LOAD_PATH = "/dev/load"


def import_ndjson(env: Mapping[str, str], session: Any, data: str | bytes, name: str,
                  export: str | None = None) -> dict[str, Any]:
    """Upload the extract and run the import function on its S3 event; returns the import report. With
    `export`, the file joins exports/<export>/ and only its manifest.json starts the import."""
    from devserver.imports import run_import
    from functions.shared.services.s3_imports import EXPORT_MANIFEST, EXPORTS_PREFIX
    from infra.routes import PORTAL_DATA_IMPORT

    if export is None:
        return run_import(env, session, PORTAL_DATA_IMPORT, "PORTAL_DATA_BUCKET", data, name)
    key = f"{EXPORTS_PREFIX}{export}/{Path(name).name}"
    if Path(name).name != EXPORT_MANIFEST:
        session.client("s3").put_object(Bucket=env["PORTAL_DATA_BUCKET"], Key=key,
                                        Body=data.encode() if isinstance(data, str) else data)
        return {"status": "staged", "key": key}
    return run_import(env, session, PORTAL_DATA_IMPORT, "PORTAL_DATA_BUCKET", data, name, key=key)


def demo_portal_data(env: Mapping[str, str], session: Any, today: date) -> dict[str, Any]:
    from devserver.demo_portal_data import ndjson

    report = import_ndjson(env, session, ndjson(today), "demo-portal-data.ndjson")
    if report["status"] == "rejected":
        raise RuntimeError(f"the demo portal data did not import: {report['problems'][:3]}")
    return report


def _post(portal: str, query: dict[str, str], body: bytes) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - the local devserver
        f"{portal}{LOAD_PATH}?{urlencode(query)}", body, {"Content-Type": "application/x-ndjson"}, method="POST")
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
        return dict(json.load(response))


def _export(portal: str, folder: Path) -> dict[str, Any]:
    """Stage an export's files, then send its manifest (made from the file names when it has none)."""
    manifest_path = folder / "manifest.json"
    if manifest_path.exists():
        manifest = manifest_path.read_bytes()
        names = [str(o["url"]).rstrip("/").rsplit("/", 1)[-1] for o in json.loads(manifest).get("output", [])]
    else:
        names = sorted(p.name for p in folder.glob("*.ndjson"))
        manifest = json.dumps({"output": [{"type": n.split(".")[0], "url": n} for n in names]}).encode()
    for name in names:
        _post(portal, {"export": folder.name, "name": name}, (folder / name).read_bytes())
    return _post(portal, {"export": folder.name, "name": "manifest.json"}, manifest)


def main() -> None:
    parser = argparse.ArgumentParser(description="Import a FHIR NDJSON extract, or a Bulk Data export's folder "
                                                 "or manifest, into the running devserver.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--portal", default="http://127.0.0.1:3000")
    args = parser.parse_args()
    path: Path = args.file
    if path.is_dir() or path.name == "manifest.json":
        report = _export(args.portal, path if path.is_dir() else path.parent)
    else:
        report = _post(args.portal, {"name": path.name}, path.read_bytes())
    print(json.dumps(report, indent=2))
    # anything quarantined or in conflict is a failure for a script that loads files
    sys.exit(0 if report.get("status") in ("applied", "unchanged") else 1)


if __name__ == "__main__":
    main()
