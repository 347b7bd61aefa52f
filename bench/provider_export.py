"""A Provider Access export at scale, on DynamoDB Local: a 500-provider group's matched Group of 10,000
members with 100,000 claims, exported by the export task (functions/provider_export) as it runs in its
workflow.

The export reads each member (one Query of the member's item collection), the member's claims (one
Query per 200 on the member's claim index) and requests (one Query per 200 on `by-member`). The
baseline, in the same run, is a Scan of the claim index for the same members' claims (what an export
without the member index would read). Files go to a counter standing in for S3 (bytes written as the
task hands them over).
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.portal_paging import Meter, _flush, _forget_connections
from bench.table import render

GROUP = "G9100001"
PROVIDERS = [f"P91{n:05d}" for n in range(500)]
SIZES = ((10_000, 100_000),)  # (members, claims)
WRITERS = 4
FIRST_DAY = date(2025, 1, 1)


@dataclass
class Row:
    members: int
    claims: int
    what: str
    calls: int
    items_read: int
    seconds: float
    bytes_written: int = 0
    resources: int = 0


class CountedFiles:
    """Where the export's files would go: their sizes, not their bytes."""

    def __init__(self) -> None:
        self.bytes = 0
        self.files = 0

    def put(self, job_id: str, name: str, content: bytes) -> None:
        self.bytes += len(content)
        self.files += 1

    def get(self, job_id: str, name: str) -> bytes:
        raise NotImplementedError("the bench only writes")


def _member_id(n: int) -> str:
    return f"M91{n:05d}"


def _fill(endpoint: str, names: dict[str, str], members: int, start: int, count: int) -> None:
    """Members (profile + one coverage) and claims with their member and provider index entries, in bulk."""
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    rng = random.Random(start)
    batch: list[tuple[str, dict[str, Any]]] = []
    for n in range(start, start + count):
        if n < members:
            member = _member_id(n)
            batch.append((names["members"], {"member_id": {"S": member}, "record": {"S": "profile"},
                                             "content_hash": {"S": "-"}, "source": {"S": "bench"},
                                             "first_name": {"S": "Synthetic"}, "last_name": {"S": f"Member{n}"},
                                             "birth_date": {"S": "1980-01-01"}}))
            batch.append((names["members"], {"member_id": {"S": member}, "record": {"S": "coverage#2025-01-01#1"},
                                             "content_hash": {"S": "-"}, "source": {"S": "bench"},
                                             "status": {"S": "active"}, "start": {"S": "2025-01-01"},
                                             "plan_name": {"S": "Medicaid"}, "product": {"S": "MEDICAID"},
                                             "pcp_provider_id": {"S": rng.choice(PROVIDERS)}}))
        claim_id, member = f"X{n:08d}", _member_id(n % members)
        rendering = rng.choice(PROVIDERS)
        served = (FIRST_DAY + timedelta(days=rng.randrange(365))).isoformat()
        summary = {"claim_id": {"S": claim_id}, "member_id": {"S": member}, "member_name": {"S": "Synthetic Member"},
                   "billing_provider_id": {"S": GROUP}, "rendering_provider_id": {"S": rendering},
                   "service_from": {"S": served}, "service_to": {"S": served}, "status": {"S": "paid"},
                   "billed_cents": {"N": "14500"}, "paid_cents": {"N": "9200"}}
        key = {"S": f"{served}#{claim_id}"}
        for owner in (f"member#{member}", f"provider#{GROUP}"):
            batch.append((names["claim_index"], {**summary, "owner": {"S": owner}, "service_key": key}))
        if len(batch) >= 24:
            _flush(dynamodb, batch)
    _flush(dynamodb, batch)


def measure(sizes: tuple[tuple[int, int], ...] = SIZES) -> list[Row]:
    import boto3

    from devserver import dynamodb_local
    from devserver.local_aws import LOCAL_ENV, create_tables
    from functions.provider_export import logic as export
    from functions.shared import store
    from functions.shared.core.audit import SystemOrigin, audit_event
    from functions.shared.store import Repositories
    from functions.shared.store.models import table_env_var
    from functions.shared.store.provider_access import ExportJob, MemberGroup

    os.environ.update(LOCAL_ENV)
    engine = dynamodb_local.start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.endpoint
    _forget_connections()
    names = {logical: LOCAL_ENV[table_env_var(logical)] for logical in ("members", "claim_index")}
    rows: list[Row] = []
    try:
        create_tables(LOCAL_ENV, boto3.Session(region_name=LOCAL_ENV["AWS_REGION"]))
        dynamodb = boto3.client("dynamodb", endpoint_url=engine.endpoint, region_name="us-east-1")
        for members, claims in sizes:
            share = claims // WRITERS
            threads = [threading.Thread(target=_fill, args=(engine.endpoint, names, members, i * share, share))
                       for i in range(WRITERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            files = CountedFiles()
            store.use(Repositories(export_files=files))
            now = datetime.now(UTC)
            ids = tuple(_member_id(n) for n in range(members))
            store.repositories().provider_access.put_group(
                MemberGroup(f"bench{members}", GROUP, "pa-bench", ids, now, now + timedelta(days=30)),
                audit_event("bench", "matched", SystemOrigin("bench")))
            job = ExportJob(f"bench-{members}", f"bench{members}", GROUP, "pa-bench", "provider-download", None,
                            ("Patient", "Coverage", "ExplanationOfBenefit"), "-", "accepted", now,
                            now + timedelta(days=2))
            store.repositories().provider_access.put_job(job, audit_event("bench", "accepted", SystemOrigin("bench")))
            with Meter() as meter:
                started = time.perf_counter()
                status = export.run(job.job_id, now)
                elapsed = time.perf_counter() - started
            if status != "complete":
                raise RuntimeError(f"the export ended {status}")
            done = store.repositories().provider_access.job(job.job_id)
            rows.append(Row(members, claims, "export (member index: Query per member)", meter.calls, meter.items,
                            elapsed, files.bytes, sum(f.count for f in done.output) if done else 0))
            wanted = set(ids)
            with Meter() as meter:  # baseline: the same members' claims found by scanning the claim index
                started = time.perf_counter()
                args: dict[str, Any] = {"TableName": names["claim_index"]}
                found = 0
                while True:
                    answer = dynamodb.scan(**args)
                    found += sum(1 for i in answer["Items"] if i["owner"]["S"].startswith("provider#")
                                 and i["member_id"]["S"] in wanted)
                    if not answer.get("LastEvaluatedKey"):
                        break
                    args["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
                elapsed = time.perf_counter() - started
            rows.append(Row(members, claims, "claims only (baseline: Scan of the claim index)", meter.calls,
                            meter.items, elapsed, 0, found))
    finally:
        store.use(None)
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        engine.stop()
    return rows


def report(rows: list[Row]) -> str:
    table = render(["members", "claims", "read", "calls", "items read", "per member", "resources", "S3 bytes",
                    "time"],
                   [[f"{r.members:,}", f"{r.claims:,}", r.what, r.calls, f"{r.items_read:,}",
                     f"{r.items_read / r.members:.1f}", f"{r.resources:,}", f"{r.bytes_written:,}",
                     f"{r.seconds:.1f} s"] for r in rows],
                   right=(0, 1, 3, 4, 5, 6, 7, 8))
    return (f"Provider Access export on DynamoDB Local (a group of {len(PROVIDERS)} providers; items read = "
            "ScannedCount or items returned; S3 bytes = the NDJSON handed to S3)\n" + table)
