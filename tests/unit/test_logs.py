"""Log lines carry their own invocation's ids, also when invocations of two functions run side by side in
one process (the devserver)."""

import io
import json
import threading
from typing import Any

from functions.shared.core.http import logger, make_handler, make_resolver
from tests.events import FakeContext, api_event

app = make_resolver()
inside = threading.Barrier(2, timeout=10)


@app.get("/together")
def together() -> dict:
    inside.wait()  # both invocations have set their keys before either logs
    logger.warning("serving")
    inside.wait()
    return {}


handler = make_handler(app)


class Context(FakeContext):
    def __init__(self, function: str, request_id: str) -> None:
        self.function_name = function
        self.aws_request_id = request_id


def test_each_line_names_its_own_invocation_when_two_run_at_once(monkeypatch):
    written = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", written)
    events = [api_event("GET", "/together") for _ in range(2)]
    contexts = [Context("eligibility", "request-a"), Context("claims", "request-b")]
    threads = [threading.Thread(target=handler, args=(event, context)) for event, context in zip(events, contexts,
                                                                                                  strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    lines: list[dict[str, Any]] = [json.loads(line) for line in written.getvalue().splitlines()]
    served = sorted((line["function_name"], line["function_request_id"], line["correlation_id"])
                     for line in lines if line["message"] == "serving")
    assert served == sorted((context.function_name, context.aws_request_id, event["requestContext"]["requestId"])
                            for event, context in zip(events, contexts, strict=True))

