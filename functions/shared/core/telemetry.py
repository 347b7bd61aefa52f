"""Business metrics as CloudWatch embedded metrics (EMF): one count per audited decision, so
alarms can watch sign-in failures, lockouts and denials without reading any log line.

Powertools Metrics is imported on the first count, never at cold start, and flushed by the
function's entry point after each invocation.
"""

from __future__ import annotations

from functools import cache
from typing import Any

NAMESPACE = "ProviderPortal"


@cache
def _metrics() -> Any:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE)


_used = False


def count(name: str) -> None:
    global _used
    from aws_lambda_powertools.metrics import MetricUnit

    _metrics().add_metric(name=name[:250], unit=MetricUnit.Count, value=1)
    _used = True


def flush() -> None:
    """Write this invocation's metrics (one EMF log line); nothing when none were counted."""
    global _used
    if _used:
        metrics = _metrics()
        metrics.flush_metrics()
        metrics.clear_metrics()  # also when metrics are disabled, which skips writing but keeps them
        _used = False
