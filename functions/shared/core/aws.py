"""Lazily created AWS clients, shared across invocations of a warm container.

Every client, PynamoDB's DynamoDB client included, comes from ONE botocore session: a session reads
endpoint data and service models from disk once, so each further client costs ~15 ms, not ~100 ms.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from functions.shared.core.config import settings

T = TypeVar("T")
_creating = threading.Lock()  # a botocore session is not thread-safe while it creates clients


@cache
def botocore_session() -> Any:
    from botocore.session import get_session

    return get_session()


@cache
def _boto3_session() -> Any:
    import boto3  # deferred: only functions that call a service pay for boto3's import

    return boto3.Session(botocore_session=botocore_session())


def created_once(factory: Callable[[], T]) -> T:
    """Run a client factory under the session lock (threads of the devserver and tests share it)."""
    with _creating:
        return factory()


@cache
def client(service: str) -> Any:
    from botocore.config import Config

    # Standard retry mode retries throttling and transient faults with jittered back-off; short
    # timeouts keep a struggling dependency from holding the API request until it times out.
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
    return created_once(lambda: _boto3_session().client(service, region_name=settings().region, config=config))


@cache
def secret_values() -> Any:
    """Powertools' Secrets Manager provider (cached values) on the shared session, not a new one."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=client("secretsmanager"))
