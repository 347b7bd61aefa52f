"""Sending mail through SES. One call per message; failures surface as a 503 the user can act on."""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger

from functions.shared.aws import client
from functions.shared.config import settings
from functions.shared.errors import service_unavailable

logger = Logger(child=True)


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str
    kind: str  # names the template in logs, never the content


def send_mail(to: str, mail: Mail) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client("sesv2").send_email(
            FromEmailAddress=settings().mail_sender,
            Destination={"ToAddresses": [to]},
            Content={"Simple": {
                "Subject": {"Data": mail.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": mail.text, "Charset": "UTF-8"},
                         "Html": {"Data": mail.html, "Charset": "UTF-8"}},
            }},
        )
    except (BotoCoreError, ClientError) as exc:
        # botocore already retried transient faults; report instead of dropping the message.
        logger.error("mail not sent", extra={"mail_kind": mail.kind, "error_type": type(exc).__name__})
        raise service_unavailable(
            "We could not send the email just now. Wait a minute, then ask for it again."
        ) from exc
    logger.info("mail sent", extra={"mail_kind": mail.kind})
