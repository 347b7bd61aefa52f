"""Delivering queued mail: each message once, retried while SES fails, never lost.

SQS delivers a message at least once and the sender reports each failed message alone (partial batch
response): a failure comes back after the visibility timeout and, after the last receive, waits in the
dead-letter queue (alarmed; `make redrive` returns it). A delivery claim, one conditional write per
message, keeps a message that arrives twice (or is redriven after it was sent) from being mailed twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from functions.shared.core import telemetry
from functions.shared.services.notify.mail import Mail, MailNotSent, QueuedMail
from functions.shared.store import repositories
from functions.shared.store.deliveries import Claim

logger = Logger(child=True)

# Longer than one try can take (the function's timeout): a try that died mid-send is taken over after it.
LEASE = timedelta(seconds=60)
# Longer than a message can live in the queue and its dead-letter queue together (4 + 14 days), so a
# redriven message still finds its claim.
KEEP_CLAIMS = timedelta(days=30)

Deliver = Callable[[str, Mail], str]


def deliver_batch(records: Iterable[tuple[str, str]], now: datetime, deliver: Deliver) -> list[str]:
    """Deliver each (message id, body); returns the ids of the messages to try again later."""
    return [message_id for message_id, body in records if not _guarded(body, now, deliver)]


def _guarded(body: str, now: datetime, deliver: Deliver) -> bool:
    try:
        return _deliver_one(body, now, deliver)
    except Exception as exc:  # e.g. DynamoDB throttled the claim: only this message is tried again
        logger.warning("mail delivery failed, will retry", extra={"error_type": type(exc).__name__})
        return False


def _deliver_one(body: str, now: datetime, deliver: Deliver) -> bool:
    """True when the message is done with (sent now or before, or a decoy); False to try it again."""
    try:
        message = QueuedMail.from_json(body)
    except ValueError as exc:
        # Kept for people to look at: it reaches the dead-letter queue after its last receive.
        logger.error("unreadable mail message", extra={"reason": str(exc)})
        telemetry.count("mail.unreadable")
        return False
    if message.is_decoy:
        return True
    log = {"mail_kind": message.kind, "delivery_id": message.delivery_id}
    deliveries = repositories().deliveries
    claim = deliveries.claim(message.delivery_id, now, now + LEASE, now + KEEP_CLAIMS)
    if claim == Claim.SENT:
        logger.info("mail already sent", extra=log)
        return True
    if claim == Claim.BUSY:
        logger.info("mail being sent by another try", extra=log)
        return False
    try:
        deliver(message.to, message.mail)
    except MailNotSent as exc:
        deliveries.release(message.delivery_id)
        logger.warning("mail not sent, will retry", extra={**log, "error_type": exc.code})
        telemetry.count("mail.retried")
        return False
    telemetry.count("mail.sent")
    try:
        deliveries.sent(message.delivery_id, now + KEEP_CLAIMS)
    except Exception as exc:  # the mail is out: never report it failed, or it would be sent again
        logger.error("mail sent but not marked", extra={**log, "error_type": type(exc).__name__})
    logger.info("mail sent", extra=log)
    return True
