"""Unit tests: rules on in-memory repositories, no AWS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from functions.shared import store
from functions.shared.core import paging, telemetry
from functions.shared.store import Repositories
from tests.unit.memory import memory_repositories


@pytest.fixture
def repos() -> Iterator[Repositories]:
    """A fresh in-memory store for one test, installed where the rules look for it."""
    fresh = memory_repositories()
    store.use(fresh)
    paging.use_key(b"unit-test cursor key")  # in place of the secret (no AWS here)
    yield fresh
    store.use(None)
    paging.use_key(None)
    telemetry.flush()  # the counts of this test's audited decisions, as an invocation would
