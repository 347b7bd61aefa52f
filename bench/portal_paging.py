"""Claim lists at scale, on DynamoDB Local: one page of a group's claims among 10,000 and 100,000.

A group with 500 providers bills every claim; each claim also names one of the 500 as rendering
provider. The portal's page is one Query on `claim-index` (page size + 1 items). The baseline, in the
same run, is what a Scan of the claims table with a filter reads to find one provider's newest claims
(every claim, since a Scan has no order).
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bench.table import ms, render

GROUP = "G9000001"
PROVIDERS = [f"P9{n:06d}" for n in range(500)]
PAGE = 25
SIZES = tuple(int(n) for n in os.environ.get("BENCH_CLAIMS", "10000,100000").split(","))
WRITERS = 4
FIRST_DAY = date(2025, 1, 1)


@dataclass
class Row:
    claims: int
    what: str
    calls: int
    items_read: int
    capacity: float
    seconds: float


class Meter:
    """Counts DynamoDB calls, items read and consumed capacity of whatever runs inside it."""

    def __init__(self) -> None:
        self.calls = 0
        self.items = 0
        self.capacity = 0.0

    def __enter__(self) -> Meter:
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        meter = self

        def counting(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if operation in ("Query", "Scan"):
                params = {**params, "ReturnConsumedCapacity": "TOTAL"}
            answer = original(client, operation, params)
            if operation in ("Query", "Scan", "GetItem"):
                meter.calls += 1
                meter.items += int(answer.get("ScannedCount", 1 if answer.get("Item") else 0))
                meter.capacity += float((answer.get("ConsumedCapacity") or {}).get("CapacityUnits", 0))
            return answer

        BaseClient._make_api_call = counting  # type: ignore[method-assign]
        return self

    def __exit__(self, *_exc: object) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original  # type: ignore[method-assign]


def _fill(endpoint: str, table_names: dict[str, str], start: int, count: int) -> None:
    """Write claims and their index entries straight to the tables (the import path's shapes, in bulk)."""
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    rng = random.Random(start)
    batch: list[tuple[str, dict[str, Any]]] = []
    for n in range(start, start + count):
        claim_id = f"B{n:08d}"
        rendering = rng.choice(PROVIDERS)
        served = (FIRST_DAY + timedelta(days=rng.randrange(365))).isoformat()
        summary = {"claim_id": {"S": claim_id}, "member_id": {"S": f"M9{n % 40000:06d}"},
                   "member_name": {"S": "Synthetic Member"}, "billing_provider_id": {"S": GROUP},
                   "rendering_provider_id": {"S": rendering}, "service_from": {"S": served},
                   "service_to": {"S": served}, "status": {"S": "paid"}, "billed_cents": {"N": "14500"},
                   "paid_cents": {"N": "9200"}}
        key = {"S": f"{served}#{claim_id}"}
        batch.append((table_names["claims"], {**summary, "content_hash": {"S": "-"}, "source": {"S": "bench"},
                                              "billing_tax_id": {"S": "900000001"}, "received_on": {"S": served},
                                              "allowed_cents": {"N": "9200"}, "patient_cents": {"N": "0"},
                                              "lines": {"L": []}, "parties": {"SS": [f"provider#{GROUP}"]}}))
        batch.append((table_names["claim_index"], {**summary, "owner": {"S": f"provider#{GROUP}"}, "service_key": key}))
        batch.append((table_names["claim_index"], {**summary, "owner": {"S": f"provider#{rendering}"},
                                                   "service_key": key}))
        if len(batch) >= 24:
            _flush(dynamodb, batch)
    _flush(dynamodb, batch)


def _flush(dynamodb: Any, batch: list[tuple[str, dict[str, Any]]]) -> None:
    request: dict[str, list[dict[str, Any]]] = {}
    for table, item in batch:
        request.setdefault(table, []).append({"PutRequest": {"Item": item}})
    while request:
        request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    batch.clear()


def _grow_to(endpoint: str, names: dict[str, str], have: int, want: int) -> None:
    share = (want - have) // WRITERS
    threads = [threading.Thread(target=_fill, args=(endpoint, names, have + i * share, share)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _forget_connections() -> None:
    from functions.shared.core import aws
    from functions.shared.core.config import settings
    from functions.shared.store.models import connection, forget_bound_tables

    for cached in (connection, aws.client, settings):
        cached.cache_clear()
    forget_bound_tables()


def measure(sizes: tuple[int, ...] = SIZES) -> list[Row]:
    import boto3

    from devserver import dynamodb_local
    from devserver.local_aws import LOCAL_ENV, create_tables
    from functions.shared.store.claims import PROVIDER_OWNER, DynamoClaims
    from functions.shared.store.models import table_env_var

    os.environ.update(LOCAL_ENV)
    engine = dynamodb_local.start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.endpoint
    _forget_connections()  # an earlier section's DynamoDB client points at its own, stopped engine
    names = {logical: LOCAL_ENV[table_env_var(logical)] for logical in ("claims", "claim_index")}
    rows: list[Row] = []
    try:
        create_tables(LOCAL_ENV, boto3.Session(region_name=LOCAL_ENV["AWS_REGION"]))
        claims, have = DynamoClaims(), 0
        dynamodb = boto3.client("dynamodb", endpoint_url=engine.endpoint, region_name="us-east-1")
        for size in sizes:
            _grow_to(engine.endpoint, names, have, size)
            have = size
            year_end = FIRST_DAY + timedelta(days=364)
            for what, owner in (("group, first page", GROUP), ("one provider, first page", PROVIDERS[7])):
                with Meter() as meter:
                    started = time.perf_counter()
                    page = claims.page(PROVIDER_OWNER + owner, FIRST_DAY, year_end, PAGE, None)
                    if page.after:  # and the second page, through the cursor
                        claims.page(PROVIDER_OWNER + owner, FIRST_DAY, year_end, PAGE, page.after)
                    elapsed = time.perf_counter() - started
                rows.append(Row(size, f"{what} + next page (portal: Query)", meter.calls, meter.items,
                                meter.capacity, elapsed))
            with Meter() as meter:  # baseline: the newest page needs every claim of the provider: a full Scan
                started = time.perf_counter()
                args: dict[str, Any] = {"TableName": names["claims"],
                                        "FilterExpression": "rendering_provider_id = :p",
                                        "ExpressionAttributeValues": {":p": {"S": PROVIDERS[7]}}}
                while True:
                    answer = dynamodb.scan(**args)
                    if not answer.get("LastEvaluatedKey"):
                        break
                    args["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
                elapsed = time.perf_counter() - started
            rows.append(Row(size, "one provider, first page (baseline: Scan + filter)", meter.calls, meter.items,
                            meter.capacity, elapsed))
    finally:
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        engine.stop()
    return rows


def report(rows: list[Row]) -> str:
    table = render(["claims", "request", "calls", "items read", "capacity units", "time"],
                   [[f"{r.claims:,}", r.what, r.calls, r.items_read, f"{r.capacity:g}", ms(r.seconds)] for r in rows],
                   right=(0, 2, 3, 4, 5))
    return (f"Claim lists at scale on DynamoDB Local (page size {PAGE}, a group of {len(PROVIDERS)} providers; "
            "items read = ScannedCount)\n" + table)
