"""The daily inactivity job at scale, on DynamoDB Local: 10,000 and 100,000 active accounts, 100 due.

Accounts are spread over the last 49 days of activity, plus 100 whose last activity is exactly the
plan's 60 days ago (due for deactivation) and 100 at 50 days (due for the warning). The job runs as on
any day after the first (its progress markers at yesterday), so it reads the index partitions of the
days that fall due today. The baseline, in the same run, is the Scan with a filter that finds the
same 100 accounts without the index. Mail is counted, not sent (no SES here). Accounts are seeded with
BatchWriteItem (4 writers) straight into the table, in the shape the accounts repository writes.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.portal_paging import _flush, _forget_connections
from bench.table import ms, render

SIZES = tuple(int(n) for n in os.environ.get("BENCH_ACCOUNTS", "10000,100000").split(","))
DUE = 100
WRITERS = 4
TODAY = date(2027, 3, 1)
NOW = datetime(2027, 3, 1, 7, 15, tzinfo=UTC)
READS = ("Query", "Scan", "GetItem")
WRITES = ("UpdateItem", "PutItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


@dataclass
class Row:
    accounts: int
    what: str
    calls: int
    writes: int
    items_read: int
    capacity: float
    seconds: float


class Meter:
    """Counts DynamoDB calls (reads and writes apart), items read and consumed capacity (read + write)."""

    def __init__(self) -> None:
        self.calls = self.writes = self.items = 0
        self.capacity = 0.0
        self._lock = threading.Lock()

    def __enter__(self) -> Meter:
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        meter = self

        def counting(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if operation in READS + WRITES:
                params = {**params, "ReturnConsumedCapacity": "TOTAL"}
            answer = original(client, operation, params)
            if operation in READS + WRITES:
                consumed = answer.get("ConsumedCapacity") or []
                units = sum(float(c.get("CapacityUnits", 0)) for c in
                            (consumed if isinstance(consumed, list) else [consumed]))
                with meter._lock:
                    meter.calls += 1
                    meter.writes += operation in WRITES
                    if operation in READS:
                        meter.items += int(answer.get("ScannedCount", 1 if answer.get("Item") else 0))
                    meter.capacity += units
            return answer

        BaseClient._make_api_call = counting  # type: ignore[method-assign]
        return self

    def __exit__(self, *_exc: object) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original  # type: ignore[method-assign]


def _day(n: int) -> str:
    return "active#" + (TODAY - timedelta(days=n)).isoformat()


def _fill(endpoint: str, table: str, start: int, count: int, total_due: int) -> None:
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    batch: list[tuple[str, dict[str, Any]]] = []
    for n in range(start, start + count):
        if n < total_due:
            days_ago = 60
        elif n < 2 * total_due:
            days_ago = 50
        else:
            days_ago = n % 49  # 0..48: neither due nor warned today
        batch.append((table, {
            "account_id": {"S": f"bench-{n:07d}"}, "plan": {"S": "caresource"},
            "email": {"S": f"user{n}@bench.example"}, "state": {"S": "active"},
            "password_hash": {"S": "$argon2id$bench"}, "first_name": {"S": "Bench"}, "last_name": {"S": "User"},
            "created_at": {"S": "2026-01-01T00:00:00.000000+0000"}, "lifecycle_day": {"S": _day(days_ago)},
            "password_failures": {"N": "0"}, "code_failures": {"N": "0"}, "factors": {"L": []},
        }))
        if len(batch) >= 25:
            _flush(dynamodb, batch)
    _flush(dynamodb, batch)


def _grow_to(endpoint: str, table: str, have: int, want: int, due: int) -> None:
    share = (want - have) // WRITERS
    threads = [threading.Thread(target=_fill, args=(endpoint, table, have + i * share, share, due))
               for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _reset_due(endpoint: str, table: str, due: int) -> None:
    """Put the due accounts back (active, on their day) and the markers at yesterday, for the next size."""
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    for n in range(2 * due):
        dynamodb.update_item(TableName=table, Key={"account_id": {"S": f"bench-{n:07d}"}},
                             UpdateExpression="SET #s = :a, lifecycle_day = :d REMOVE warned_day, deactivated_at",
                             ExpressionAttributeNames={"#s": "state"},
                             ExpressionAttributeValues={":a": {"S": "active"},
                                                        ":d": {"S": _day(60 if n < due else 50)}})


def _markers_at_yesterday() -> None:
    from functions.shared.store.lifecycle import DynamoLifecycle
    from functions.shared.store.models import UniqueKey, bind_tables

    bind_tables()
    yesterday = TODAY - timedelta(days=1)
    for job, day in (("deactivate", yesterday - timedelta(days=60)),
                     ("inactivity-warning", yesterday - timedelta(days=50)), ("deactivation-notice", yesterday)):
        UniqueKey("job#" + job, day=day.isoformat()).save()
    if DynamoLifecycle().done_through("deactivate") != yesterday - timedelta(days=60):
        raise RuntimeError("the job's progress markers are not where the bench put them")


def measure(sizes: tuple[int, ...] = SIZES, due: int = DUE) -> list[Row]:
    """The job and the baseline at each size (accounts, at least 2 x `due`), `due` accounts due each way."""
    import boto3

    from devserver import dynamodb_local
    from devserver.local_aws import LOCAL_ENV, create_tables
    from functions.jobs import logic
    from functions.shared.core.plans import plan_profile
    from functions.shared.store.models import table_env_var

    os.environ.update(LOCAL_ENV)
    engine = dynamodb_local.start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.endpoint
    _forget_connections()
    table = LOCAL_ENV[table_env_var("accounts")]
    mails: list[str] = []
    original_send = logic.send_mail

    def count_mail(to: str, mail: Any, **_options: Any) -> None:  # send_mail's keywords (once_for) alike
        mails.append(mail.kind)

    logic.send_mail = count_mail  # type: ignore[assignment]
    rows: list[Row] = []
    try:
        create_tables(LOCAL_ENV, boto3.Session(region_name=LOCAL_ENV["AWS_REGION"]))
        dynamodb = boto3.client("dynamodb", endpoint_url=engine.endpoint, region_name="us-east-1")
        have = 0
        for size in sizes:
            seeding = time.perf_counter()
            _grow_to(engine.endpoint, table, have, size, due)
            seeded = time.perf_counter() - seeding
            have = size
            _reset_due(engine.endpoint, table, due)
            _markers_at_yesterday()
            mails.clear()
            with Meter() as meter:
                started = time.perf_counter()
                report = logic.run("deactivate", plan_profile("caresource"), NOW, lambda: 900.0)
                elapsed = time.perf_counter() - started
            changed = {p.phase: p.changed for p in report.phases}
            if report.failed or changed.get("deactivate") != due or changed.get("inactivity-warning") != due:
                raise RuntimeError(f"the job changed {changed} (expected {due} each), failed for {report.failed[:5]}")
            rows.append(Row(size, f"daily job: {due} deactivated + {due} warned, {len(mails)} mails "
                                  f"(seeded in {seeded:.0f} s)", meter.calls, meter.writes, meter.items,
                            meter.capacity, elapsed))
            with Meter() as meter:
                started = time.perf_counter()
                again = logic.run("deactivate", plan_profile("caresource"), NOW, lambda: 900.0)
                elapsed = time.perf_counter() - started
            if again.failed:
                raise RuntimeError(f"the second run failed for {again.failed[:5]}")
            rows.append(Row(size, "the same job again, same day", meter.calls, meter.writes, meter.items,
                            meter.capacity, elapsed))
            _reset_due(engine.endpoint, table, due)  # the due accounts as they were before the job
            with Meter() as meter:  # baseline: find the same due accounts without the index
                started = time.perf_counter()
                args: dict[str, Any] = {"TableName": table, "FilterExpression": "lifecycle_day = :d",
                                        "ExpressionAttributeValues": {":d": {"S": _day(60)}},
                                        "ProjectionExpression": "account_id"}
                found = 0
                while True:
                    answer = dynamodb.scan(**args)
                    found += len(answer["Items"])
                    if not answer.get("LastEvaluatedKey"):
                        break
                    args["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
                elapsed = time.perf_counter() - started
            if found != due:
                raise RuntimeError(f"the baseline Scan found {found} due accounts, not {due}")
            rows.append(Row(size, f"baseline: Scan + filter to find the {due} due (finding only)",
                            meter.calls, 0, meter.items, meter.capacity, elapsed))
    finally:
        logic.send_mail = original_send  # type: ignore[assignment]
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        engine.stop()
    return rows


def report(rows: list[Row]) -> str:
    table = render(["accounts", "run", "calls", "of them writes", "items read", "capacity units", "time"],
                   [[f"{r.accounts:,}", r.what, r.calls, r.writes, r.items_read, f"{r.capacity:g}", ms(r.seconds)]
                    for r in rows], right=(0, 2, 3, 4, 5, 6))
    return ("The daily inactivity job on DynamoDB Local (items read = ScannedCount of Query/Scan + items got; "
            "capacity = read + write units as DynamoDB Local reports them)\n" + table)
