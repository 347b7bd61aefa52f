"""The portal-data import of a Bulk Data export, on DynamoDB Local: resources per second, DynamoDB writes per
resource, the same export again (it must write nothing), and the import's peak Python memory at two sizes
of export read without writes (it must stay flat: files are streamed, mapped records written in batches).

A synthetic export in the IGs' form: Organizations and Practitioners (NPIs), Patients (MB identifiers),
Coverages and professional ExplanationOfBenefits (uc identifiers) that reference them, one file per type.
"""

from __future__ import annotations

import json
import os
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench.portal_paging import Meter, _forget_connections
from bench.table import render

SIZES = tuple(int(n) for n in os.environ.get("BENCH_IMPORT", "5000").split(","))  # resources written
READ_SIZES = (10_000, 50_000)  # resources read without writes, for the memory figure
CHUNK = 1024 * 1024
V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"
C4BB = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType"
ADJ = "http://terminology.hl7.org/CodeSystem/adjudication"
CPT = "http://www.ama-assn.org/go/cpt"
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


@dataclass
class Row:
    resources: int
    run: str
    seconds: float
    writes: int
    written: int
    peak_mb: float | None = None


def _money(value: float) -> dict[str, Any]:
    return {"value": value, "currency": "USD"}


def export(resources: int) -> dict[str, bytes]:
    """About `resources` resources, one file per type: per patient one coverage and three claims; a provider
    per 50 patients."""
    files: dict[str, list[str]] = {}
    for kind, line in export_lines(resources):
        files.setdefault(kind, []).append(line)
    return {f"{kind}.ndjson": ("\n".join(lines) + "\n").encode() for kind, lines in files.items()}


def export_lines(resources: int) -> Iterator[tuple[str, str]]:
    """The export's resources one at a time, (type, JSON line): what references name comes first."""
    patients = max(resources // 5, 1)
    providers = max(patients // 50, 1)
    for p in range(providers):
        yield "Organization", json.dumps({"resourceType": "Organization", "id": f"org{p}", "identifier": [
            {"system": "http://hl7.org/fhir/sid/us-npi", "value": f"1{p:09d}"},
            {"type": {"coding": [{"system": V2, "code": "TAX"}]}, "value": f"{p:09d}"}], "name": f"Group {p}"})
        yield "Practitioner", json.dumps({"resourceType": "Practitioner", "id": f"pr{p}", "identifier": [
            {"system": "http://hl7.org/fhir/sid/us-npi", "value": f"2{p:09d}"}]})
    for n in range(patients):
        member = f"M{n:09d}"
        yield "Patient", json.dumps({
            "resourceType": "Patient", "id": f"p{n}", "identifier": [
                {"type": {"coding": [{"system": V2, "code": "MB"}]}, "system": "https://plan.example/member",
                 "value": member}],
            "name": [{"family": "Synthetic", "given": ["Member"]}], "birthDate": "1980-01-01"})
        yield "Coverage", json.dumps({
            "resourceType": "Coverage", "id": f"c{n}", "status": "active",
            "beneficiary": {"reference": f"Patient/p{n}"},
            "payor": [{"display": "Plan"}], "period": {"start": "2026-01-01"},
            "class": [{"type": {"coding": [{"code": "plan"}]}, "value": "GOLD", "name": "Gold"}]})
        for k in range(3):
            provider = n % providers
            yield "ExplanationOfBenefit", json.dumps({
                "resourceType": "ExplanationOfBenefit", "id": f"e{n}-{k}", "status": "active",
                "type": {"coding": [{"code": "professional"}]}, "use": "claim", "outcome": "complete",
                "created": "2026-06-10", "identifier": [{"type": {"coding": [{"system": C4BB, "code": "uc"}]},
                                                         "value": f"CLM{n:09d}{k}"}],
                "patient": {"reference": f"Patient/p{n}"}, "insurer": {"display": "Plan"},
                "provider": {"reference": f"Organization/org{provider}"},
                "careTeam": [{"sequence": 1, "provider": {"reference": f"Practitioner/pr{provider}"},
                              "role": {"coding": [{"code": "performing"}]}}],
                "billablePeriod": {"start": "2026-06-01"},
                "insurance": [{"focal": True, "coverage": {"display": "x"}}],
                "item": [{"sequence": 1, "servicedDate": "2026-06-01",
                          "productOrService": {"coding": [{"system": CPT, "code": "99213"}]},
                          "adjudication": [{"category": {"coding": [{"system": ADJ, "code": "submitted"}]},
                                            "amount": _money(145.0)},
                                           {"category": {"coding": [{"system": ADJ, "code": "eligible"}]},
                                            "amount": _money(92.0)},
                                           {"category": {"coding": [{"system": ADJ, "code": "copay"}]},
                                            "amount": _money(10.0)}]}]})


def _sources(files: dict[str, bytes]) -> list[Any]:
    from functions.portal_data_import.fhir import DEPENDENCY_ORDER
    from functions.portal_data_import.passes import Source

    def chunks(data: bytes) -> Iterator[bytes]:
        return (data[i:i + CHUNK] for i in range(0, len(data), CHUNK))

    ordered = sorted(files, key=lambda name: DEPENDENCY_ORDER.index(name.split(".")[0]))
    return [Source.whole(name, lambda data=files[name]: chunks(data)) for name in ordered]


class _Writes(Meter):
    """Counts DynamoDB write calls (a transaction is one call)."""

    def __enter__(self) -> _Writes:
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        meter = self

        def counting(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if operation in WRITES:
                meter.calls += 1
            return original(client, operation, params)

        BaseClient._make_api_call = counting  # type: ignore[method-assign]
        return self


def _peak_mb(resources: int) -> tuple[float, float]:
    """Seconds and peak traced memory (MB) of reading an export of this size without writing it."""
    from functions.portal_data_import.passes import parse_files

    files = export(resources)
    sources = _sources(files)
    def drop(extract: Any) -> None:  # what an import would write, forgotten instead
        extract.profiles.clear()
        extract.coverages.clear()
        extract.claims.clear()

    tracemalloc.start()
    started = time.perf_counter()
    parse_files(sources, apply=drop)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return elapsed, peak


def measure(sizes: tuple[int, ...] = SIZES, read_sizes: tuple[int, ...] = READ_SIZES) -> list[Row]:
    import boto3

    from devserver import dynamodb_local
    from devserver.local_aws import LOCAL_ENV, create_tables
    from functions.portal_data_import.logic import import_files
    from functions.shared import store

    os.environ.update(LOCAL_ENV)
    engine = dynamodb_local.start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.endpoint
    _forget_connections()
    store.use(None)
    rows: list[Row] = []
    try:
        create_tables(LOCAL_ENV, boto3.Session(region_name=LOCAL_ENV["AWS_REGION"]))
        for size in sizes:
            files = export(size)
            total = sum(data.count(b"\n") for data in files.values())
            for run in ("first import", "the same export again"):
                with _Writes() as writes:
                    started = time.perf_counter()
                    report = import_files(_sources(files), f"bench-{size}", strict=False)
                    elapsed = time.perf_counter() - started
                if report.problems or report.conflicts:
                    raise RuntimeError(f"the synthetic export did not import cleanly: {report.problems[:2]}")
                rows.append(Row(total, run, elapsed, writes.calls, report.written))
    finally:
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        engine.stop()
    for size in read_sizes:
        files = export(size)
        total = sum(data.count(b"\n") for data in files.values())
        elapsed, peak = _peak_mb(size)
        rows.append(Row(total, "read and mapped, not written", elapsed, 0, 0, peak))
    return rows


def report(rows: list[Row]) -> str:
    table = render(
        ["resources", "run", "resources/s", "DynamoDB writes", "writes/resource", "records written",
         "peak memory (traced)"],
        [[f"{r.resources:,}", r.run, f"{r.resources / r.seconds:,.0f}" if r.seconds else "-", r.writes,
          f"{r.writes / r.resources:.2f}", r.written, f"{r.peak_mb:.0f} MB" if r.peak_mb is not None else "-"]
         for r in rows], right=(0, 2, 3, 4, 5, 6))
    again = [r for r in rows if r.run == "the same export again"]
    verdict = "ERROR: a re-run wrote" if any(r.writes for r in again) else "a re-run writes nothing: yes"
    return ("Portal-data import of a Bulk Data export (Organization, Practitioner, Patient, Coverage, EOB files; one "
            "process, DynamoDB Local)\n" + table + f"\n{verdict}")
