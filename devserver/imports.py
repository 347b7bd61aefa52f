"""Running an import function locally the way S3 runs it in AWS: put the file under incoming/ in its
bucket, invoke the function with the S3 event, read back the report it wrote."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus


def run_import(env: Mapping[str, str], session: Any, function_name: str, bucket_variable: str,
               data: str | bytes, name: str, *, key: str | None = None) -> dict[str, Any]:
    """Upload `data` as `incoming/<name>` (or as `key`) and run `functions.<function_name>` on it, as S3's
    event would; returns its report."""
    from devserver.gateway import LambdaContext
    from infra.routes import function

    bucket = env[bucket_variable]
    s3 = session.client("s3")
    key = key or f"incoming/{Path(name).name}"
    s3.put_object(Bucket=bucket, Key=key, Body=data.encode() if isinstance(data, str) else data)
    handler = importlib.import_module(f"functions.{function_name}.handler").lambda_handler
    started = handler(s3_event(bucket, key), LambdaContext(function(function_name), env["AWS_REGION"]))
    for one in started["imports"]:  # an import that runs as a workflow: its report is written at its end
        if "execution" in one:
            wait_for_execution(session, one["execution"])
    return dict(json.loads(s3.get_object(Bucket=bucket, Key=f"reports/{key}.report.json")["Body"].read()))


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    """The event S3 sends when `key` is written: the key URL-encoded (a space as '+'), and a sequencer
    of its own for each write."""
    return {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": bucket},
        "object": {"key": quote_plus(key, safe="/"), "sequencer": f"{time.time_ns():020X}"}}}]}


def wait_for_execution(session: Any, arn: str, timeout_s: float = 1800) -> str:
    """Wait until a Step Functions execution ends; its status (a failed import has written its report)."""
    sfn = session.client("stepfunctions")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = str(sfn.describe_execution(executionArn=arn)["status"])
        if status != "RUNNING":
            return status
        time.sleep(0.05)
    raise TimeoutError(f"{arn} still runs after {timeout_s:.0f} s")
