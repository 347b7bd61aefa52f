"""Mail leaves the request path: a step enqueues it (one SQS SendMessage) and the mail_sender function
delivers it through SES, with retries, a dead-letter queue and a redrive path (functions/mail_sender/).

Every queued message carries its own delivery id; the sender marks that id sent with a conditional write,
so a message SQS delivers twice, a SendMessage botocore retried, or a redriven message is mailed once.
The message body holds the mail itself (its link or code is the only secret; the queue is KMS-encrypted);
logs name only the mail's kind and delivery id, never the address or the content.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from aws_lambda_powertools import Logger

from functions.shared.core.aws import client
from functions.shared.core.config import settings
from functions.shared.core.errors import service_unavailable

logger = Logger(child=True)

MESSAGE_VERSION = 1
# A decoy is queued where no mail is due, so both answers of an enumeration-safe step do the same work
# (one SendMessage of about the same size); the sender drops it.
DECOY_KIND = "decoy"
_DECOY_PADDING = 1200  # about the size of a real mail's body


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str
    kind: str  # names the template in logs, never the content


@dataclass(frozen=True)
class QueuedMail:
    """One message of the mail queue: what the sender needs to send it, and nothing else."""

    delivery_id: str
    to: str
    subject: str
    text: str
    html: str
    kind: str
    v: int = MESSAGE_VERSION

    @property
    def is_decoy(self) -> bool:
        return self.kind == DECOY_KIND

    @property
    def mail(self) -> Mail:
        return Mail(self.subject, self.text, self.html, self.kind)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, body: str) -> QueuedMail:
        """Raises ValueError for a body that is not a message of this version."""
        try:
            data: Any = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ValueError("not JSON") from exc
        if not isinstance(data, dict) or data.get("v") != MESSAGE_VERSION:
            raise ValueError("unknown message version")
        fields = ("delivery_id", "to", "subject", "text", "html", "kind")
        if not all(isinstance(data.get(name), str) for name in fields):
            raise ValueError("a field is missing")
        return cls(**{name: data[name] for name in fields})


def new_delivery_id() -> str:
    return secrets.token_hex(16)


def _enqueue(message: QueuedMail) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    queue_url = settings().mail_queue_url
    if not queue_url:
        raise RuntimeError("this function has no mail queue (MAIL_QUEUE_URL): give it the sends_mail capability")
    try:
        client("sqs").send_message(QueueUrl=queue_url, MessageBody=message.to_json(),
                                   MessageAttributes={"kind": {"DataType": "String", "StringValue": message.kind}})
    except (BotoCoreError, ClientError) as exc:
        # botocore already retried transient faults; the caller's change is not made (see the steps).
        logger.error("mail not queued", extra={"mail_kind": message.kind, "error_type": type(exc).__name__})
        raise service_unavailable(
            "We could not send the email just now. Wait a minute, then ask for it again."
        ) from exc
    logger.info("mail queued", extra={"mail_kind": message.kind, "delivery_id": message.delivery_id})


def send_mail(to: str, mail: Mail, *, once_for: str | None = None) -> None:
    """Queue `mail` for `to`: delivered within moments, retried while SES fails, never twice.

    `once_for` names the event the mail tells of: mail queued again for the same event (a job run that
    overlaps another) has the same delivery id, so the sender delivers only one of them."""
    delivery_id = hashlib.sha256(once_for.encode()).hexdigest()[:32] if once_for else new_delivery_id()
    _enqueue(QueuedMail(delivery_id, to, mail.subject, mail.text, mail.html, mail.kind))


def send_decoy() -> None:
    """Queue a message the sender drops: the same work as `send_mail` where no mail is due."""
    padding = secrets.token_urlsafe(_DECOY_PADDING)[:_DECOY_PADDING]
    _enqueue(QueuedMail(new_delivery_id(), "", "", padding, "", DECOY_KIND))


class MailNotSent(Exception):
    """SES did not take the mail; `code` names why (the sender retries, then the dead-letter queue holds it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def deliver(to: str, mail: Mail) -> str:
    """Send one mail through SES now (the mail_sender function only); returns SES's message id."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = client("sesv2").send_email(
            FromEmailAddress=settings().mail_sender,
            Destination={"ToAddresses": [to]},
            Content={"Simple": {
                "Subject": {"Data": mail.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": mail.text, "Charset": "UTF-8"},
                         "Html": {"Data": mail.html, "Charset": "UTF-8"}},
            }},
        )
    except ClientError as exc:
        raise MailNotSent(str(exc.response.get("Error", {}).get("Code", "ClientError"))) from exc
    except BotoCoreError as exc:
        raise MailNotSent(type(exc).__name__) from exc
    return str(answer.get("MessageId", ""))
