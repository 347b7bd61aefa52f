"""Business metrics as CloudWatch embedded metrics (EMF): one count per audited decision, so
alarms can watch sign-in failures, lockouts and denials without reading any log line.

Powertools Metrics is imported on the first flush with counts, never at cold start, and flushed by the
function's entry point after each invocation.

Traces: every entry point is `traced`, so X-Ray shows each invocation with its AWS calls (DynamoDB through
PynamoDB, SQS, SES, SNS, S3, Step Functions: all go through botocore, the one module patched). The tracer
and the X-Ray SDK it loads are made on the first traced invocation in Lambda, never at import, and never
where tracing is off: outside Lambda, or with POWERTOOLS_TRACE_DISABLED=true (the devserver and the tests),
so nothing looks for an X-Ray daemon there.
"""

from __future__ import annotations

import contextvars
import functools
import os
import threading
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar, cast

NAMESPACE = "ProviderPortal"
# Powertools keeps its metric set in class attributes (one per process): where invocations share a process
# (the devserver runs every function in one, side by side) each thread keeps its own counts until its flush,
# and flushes write the shared set one at a time. Counts of a thread that ended without flushing (a worker
# of an invocation's thread pool, as the lifecycle jobs use) go with the next flush, so none is lost.
_flushing = threading.Lock()
_pending = threading.local()
_by_thread: dict[threading.Thread, list[str]] = {}  # every thread's counts; guarded by _flushing


@cache
def _metrics() -> Any:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE)


def _counted() -> list[str]:
    names: list[str] | None = getattr(_pending, "names", None)
    if names is None:
        names = _pending.names = []
        with _flushing:
            _by_thread[threading.current_thread()] = names
    return names


def count(name: str) -> None:
    _counted().append(name[:250])


def flush() -> None:
    """Write this invocation's metrics (one EMF log line): this thread's counts and those of threads that
    ended without a flush of their own; nothing when none were counted."""
    names = _counted()
    with _flushing:
        ended = [thread for thread in _by_thread if not thread.is_alive()]
        taken = list(names) + [name for thread in ended for name in _by_thread.pop(thread)]
        names.clear()
        if not taken:
            return
        from aws_lambda_powertools.metrics import MetricUnit

        metrics = _metrics()
        for name in taken:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        metrics.flush_metrics()
        metrics.clear_metrics()  # also when metrics are disabled, which skips writing but keeps them


TRACE_DISABLED_ENV = "POWERTOOLS_TRACE_DISABLED"
TRACED_MODULES = ("botocore",)  # boto3 clients and PynamoDB alike call AWS through botocore
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})  # what Powertools reads as true
_tracing = contextvars.ContextVar("tracing", default=False)
Handler = TypeVar("Handler", bound=Callable[..., Any])


def tracing_enabled() -> bool:
    """In Lambda (whose functions have active tracing) unless POWERTOOLS_TRACE_DISABLED says otherwise."""
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and os.environ.get(TRACE_DISABLED_ENV, "").lower() not in _TRUE


@cache
def tracer() -> Any:
    from aws_lambda_powertools import Tracer

    return Tracer(patch_modules=TRACED_MODULES)


def traced(handler: Handler) -> Handler:
    """`handler` as a Lambda entry point in X-Ray (Powertools' capture_lambda_handler, with the ColdStart and
    Service annotations). Responses and error details are not recorded: both can hold PHI. An entry point
    called by another (a dispatcher's) runs inside the caller's trace."""
    captured: list[Callable[..., Any]] = []

    @functools.wraps(handler)
    def entry(event: Any, context: Any) -> Any:
        if _tracing.get() or not tracing_enabled():
            return handler(event, context)
        if not captured:
            captured.append(tracer().capture_lambda_handler(handler, capture_response=False, capture_error=False))
        token = _tracing.set(True)
        try:
            return captured[0](event, context)
        finally:
            _tracing.reset(token)

    entry.traced = True  # type: ignore[attr-defined]  # the mark tests/unit/test_tracing.py checks
    return cast(Handler, entry)
