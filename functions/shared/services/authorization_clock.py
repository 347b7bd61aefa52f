"""Starting the decision clock of a prior-authorization request (infra/workflows/authorization_clock.asl.json):
one execution per request, named after it, so a retried start never runs two clocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from functions.shared.core.aws import client
from functions.shared.core.config import settings
from functions.shared.core.errors import service_unavailable
from functions.shared.store.authorizations import AuthorizationUrgency

REMIND_BEFORE_DUE = timedelta(hours=24)
# CMS-0057-F: the plan decides within 72 hours (expedited) or 7 calendar days (standard) of submission.
DECISION_TIME = {AuthorizationUrgency.EXPEDITED: timedelta(hours=72),
                 AuthorizationUrgency.STANDARD: timedelta(days=7)}


def start(authorization_id: str, submitted_at: datetime, due_at: datetime) -> None:
    """Start the clock; a failure is a 503, and the client's retry (same Idempotency-Key) starts it again."""
    from botocore.exceptions import BotoCoreError, ClientError

    remind_at = max(due_at - REMIND_BEFORE_DUE, submitted_at)
    state = {"authorization_id": authorization_id, "remind_at": _iso(remind_at), "due_at": _iso(due_at)}
    try:
        client("stepfunctions").start_execution(stateMachineArn=settings().authorization_clock_arn,
                                                name=authorization_id, input=json.dumps(state))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise service_unavailable("We could not start the request's review clock. Send it again.") from exc
    except BotoCoreError as exc:
        raise service_unavailable("We could not start the request's review clock. Send it again.") from exc


def _iso(moment: datetime) -> str:
    # Step Functions reads RFC 3339 timestamps with a 'Z' or an offset; seconds are enough.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S%z").replace("+0000", "Z")
