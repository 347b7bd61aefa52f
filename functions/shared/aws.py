"""Lazily created boto3 clients, shared across invocations of a warm container."""

from __future__ import annotations

from functools import cache
from typing import Any

from functions.shared.config import settings


@cache
def client(service: str) -> Any:
    import boto3  # deferred: only functions that call a service pay for boto3's import

    return boto3.client(service, region_name=settings().region)
