"""The mail queue's event source on the embedded AWS: what Lambda's SQS event source mapping does for the
mail_sender function once deployed (receive a batch, run the function, delete what it did not report failed).

The devserver runs `MailPump` in a thread, so mail shows in the outbox within a moment; tests and the bench
call `drain()` before they read sent mail.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from infra.routes import MAIL_SENDER
from infra.routes import function as function_named

BATCH = 10  # as the deployed event source mapping


def _sqs() -> Any:
    import boto3

    return boto3.client("sqs", region_name=os.environ.get("AWS_REGION", "us-east-1"))


def _event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": m.get("MessageAttributes", {}),
        "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
        "awsRegion": os.environ.get("AWS_REGION", "us-east-1"),
    } for m in messages]}


def _deliver(sqs: Any, queue_url: str, wait_s: int) -> tuple[int, list[str]]:
    """One batch through the sender: (messages received, receipt handles of the failed ones)."""
    from devserver.gateway import LambdaContext
    from functions.mail_sender.handler import lambda_handler

    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=BATCH, WaitTimeSeconds=wait_s,
                                   AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
    if not messages:
        return 0, []
    answer = lambda_handler(_event(messages, "arn:aws:sqs:local:mail"),
                            LambdaContext(function_named(MAIL_SENDER), os.environ.get("AWS_REGION", "us-east-1")))
    failed = {item["itemIdentifier"] for item in answer.get("batchItemFailures", [])}
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
    return len(messages), [m["ReceiptHandle"] for m in messages if m["MessageId"] in failed]


def drain(*, retry_failed: bool = True, max_batches: int = 50) -> int:
    """Deliver every message visible now; returns how many were received.

    A message the sender reports failed stays in the queue; with `retry_failed` it is visible again at
    once (tests: "later" is the next drain), otherwise after the queue's visibility timeout.
    """
    queue_url = os.environ["MAIL_QUEUE_URL"]
    sqs = _sqs()
    received, failed = 0, []
    for _ in range(max_batches):
        count, failures = _deliver(sqs, queue_url, 0)
        if not count:
            break
        received += count
        failed += failures
    if retry_failed:
        for handle in failed:
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return received


def settle(timeout_s: float = 5.0) -> None:
    """Deliver what is queued now and wait (up to `timeout_s`) for batches the pump is delivering: what
    was sent before a reader asks is in the outbox when it reads."""
    import time

    queue_url = os.environ["MAIL_QUEUE_URL"]
    sqs = _sqs()
    deadline = time.monotonic() + timeout_s
    while True:
        drain(retry_failed=False)
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url,
                                              AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
        in_flight = int(attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"])
        if not in_flight or time.monotonic() > deadline:  # a failed message waits its visibility timeout
            return
        time.sleep(0.05)


class MailPump(threading.Thread):
    """Polls the mail queue until stopped (long polls of one second)."""

    def __init__(self) -> None:
        super().__init__(name="mail-pump", daemon=True)
        self._stop_event = threading.Event()

    def run(self) -> None:
        import logging

        sqs, queue_url = _sqs(), os.environ["MAIL_QUEUE_URL"]
        while not self._stop_event.is_set():
            try:
                _deliver(sqs, queue_url, 1)
            except Exception:  # keep pumping: a failed batch comes back after the visibility timeout
                if self._stop_event.is_set():
                    return
                logging.getLogger(__name__).exception("mail pump batch failed")
                self._stop_event.wait(1)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)
