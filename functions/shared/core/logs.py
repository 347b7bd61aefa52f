"""Each invocation's keys on its log lines: the function, its request id, the cold start and the
correlation id, as Powertools' `inject_lambda_context` adds them, but held per thread of execution.

`inject_lambda_context` keeps them in the logger's formatter, one set per process: where invocations of
different functions share a process (the devserver serves them side by side), a line of one would carry
another's ids. In Lambda, one invocation per container, both are the same.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model
from aws_lambda_powertools.utilities import jmespath_utils

Handler = Callable[[Any, Any], Any]
_cold = True


def per_invocation(logger: Logger, *, correlation_id_path: str | None = None) -> Callable[[Handler], Handler]:
    """Decorate a Lambda entry point: its log lines carry this invocation's keys, and no earlier one's."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def logged(event: Any, context: Any) -> Any:
            global _cold
            cold, _cold = _cold, False
            keys: dict[str, Any] = {"cold_start": cold, **build_lambda_context_model(context).__dict__}
            if correlation_id_path:
                keys["correlation_id"] = jmespath_utils.query(envelope=correlation_id_path, data=event)
            logger.thread_safe_clear_keys()
            logger.thread_safe_append_keys(**keys)
            return handler(event, context)

        return logged

    return decorate
