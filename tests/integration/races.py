"""Making concurrent requests meet at the store: every request is held just before its write until all
have arrived, so they read the same state and race on the write, as on a busy DynamoDB."""

from __future__ import annotations

import threading
from typing import Any

import pytest


def write_all_at_once(monkeypatch: pytest.MonkeyPatch, repository: type, verb: str, parties: int) -> None:
    """Hold each call of `repository.verb` until `parties` calls are waiting, then let them all go."""
    barrier = threading.Barrier(parties, timeout=60)
    original = getattr(repository, verb)

    def held(self: Any, *args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(repository, verb, held)
