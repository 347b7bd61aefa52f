"""Running an import function locally the way S3 runs it in AWS: put the file under incoming/ in its
bucket, invoke the function with the S3 event, read back the report it wrote."""

from __future__ import annotations

import importlib
import json
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
    # S3 event notifications carry the key URL-encoded (a space as '+')
    event = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                          "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/")}}}]}
    handler = importlib.import_module(f"functions.{function_name}.handler").lambda_handler
    handler(event, LambdaContext(function(function_name), env["AWS_REGION"]))
    return dict(json.loads(s3.get_object(Bucket=bucket, Key=f"reports/{key}.report.json")["Body"].read()))
