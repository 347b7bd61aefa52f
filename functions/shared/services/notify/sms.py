"""Text messages and mobile push through SNS; failures surface as a 503 the user can act on.

Unlike mail (notify/mail.py: queued), these stay on the request path: they carry one-time codes and
push challenges that live minutes while the user waits for them, so an SNS failure is better told at
once (try again, or choose another factor) than retried into a code that arrives expired. No state is
left behind that a retry cannot replace: the next challenge replaces the unsent one."""

from __future__ import annotations

import json

from aws_lambda_powertools import Logger

from functions.shared.core.aws import client
from functions.shared.core.errors import service_unavailable

logger = Logger(child=True)


def _publish(kind: str, **params: object) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client("sns").publish(**params)
    except (BotoCoreError, ClientError) as exc:
        logger.error("message not sent", extra={"message_kind": kind, "error_type": type(exc).__name__})
        raise service_unavailable("We could not send the message just now. Wait a minute and try again.") \
            from exc
    logger.info("message sent", extra={"message_kind": kind})


def send_sms(phone_e164: str, text: str) -> None:
    _publish("sms", PhoneNumber=phone_e164, Message=text, MessageAttributes={
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}})


def send_push(endpoint_arn: str, payload: dict[str, str]) -> None:
    body = json.dumps(payload)
    _publish("push", TargetArn=endpoint_arn, MessageStructure="json",
             Message=json.dumps({"default": body, "GCM": json.dumps({"data": payload})}))


def register_push_endpoint(platform_arn: str, device_token: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(client("sns").create_platform_endpoint(PlatformApplicationArn=platform_arn,
                                                          Token=device_token)["EndpointArn"])
    except (BotoCoreError, ClientError) as exc:
        raise service_unavailable("We could not register the device just now. Try again.") from exc
