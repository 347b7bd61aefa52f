"""Return dead-lettered mail to the mail queue, once SES sends again (the MailDeadLetters alarm says when).

    python -m infra.redrive --stack <stack name> [--region us-east-1]   # a deployed stage (its outputs)
    python -m devserver.redrive --endpoint-url <moto URL>               # the devserver's embedded AWS

Each message is sent to the queue, then deleted from the dead-letter queue. A message that ends up in
the queue twice (a stop between those two calls), or that was sent before it was dead-lettered, is still
mailed once: the sender's delivery claim (functions/mail_sender) keys on the message's delivery id.
Needs sqs:ReceiveMessage/DeleteMessage on the dead-letter queue and sqs:SendMessage on the queue (and
their key), which operators have; no function has them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

BATCH = 10


def redrive(sqs: Any, dead_letters_url: str, queue_url: str, limit: int = 10_000) -> int:
    """Move up to `limit` messages from the dead-letter queue back to the queue; returns how many."""
    moved = 0
    while moved < limit:
        messages = sqs.receive_message(QueueUrl=dead_letters_url, MaxNumberOfMessages=min(BATCH, limit - moved),
                                       WaitTimeSeconds=0, VisibilityTimeout=120,
                                       MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        for message in messages:
            attributes = {name: {"DataType": value["DataType"], "StringValue": value["StringValue"]}
                          for name, value in (message.get("MessageAttributes") or {}).items()
                          if "StringValue" in value}
            sqs.send_message(QueueUrl=queue_url, MessageBody=message["Body"], MessageAttributes=attributes)
            sqs.delete_message(QueueUrl=dead_letters_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def _stack_queues(session: Any, stack: str) -> tuple[str, str]:
    described = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    return outputs["MailDeadLettersUrl"], outputs["MailQueueUrl"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.redrive", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="the deployed stack whose mail to redrive")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--limit", type=int, default=10_000, help="move at most this many messages")
    args = parser.parse_args(argv)

    import boto3

    session = boto3.Session(region_name=args.region)
    dead_letters_url, queue_url = _stack_queues(session, args.stack)
    moved = redrive(session.client("sqs"), dead_letters_url, queue_url, args.limit)
    print(f"returned {moved} message(s) to the mail queue")
    return 0


if __name__ == "__main__":
    sys.exit(main())
