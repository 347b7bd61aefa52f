"""Lazily created boto3 clients, shared across invocations of a warm container."""

from __future__ import annotations

from functools import cache
from typing import Any

from functions.shared.config import settings


@cache
def client(service: str) -> Any:
    import boto3  # deferred: only functions that call a service pay for boto3's import
    from botocore.config import Config

    # Standard retry mode retries throttling and transient faults with jittered back-off; short
    # timeouts keep a struggling dependency from holding the API request until it times out.
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
    return boto3.client(service, region_name=settings().region, config=config)
