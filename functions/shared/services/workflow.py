"""The access-approval workflow (Step Functions, infra/workflows/access_approval.asl.json): starting
it with a deterministic name, and resuming its waiting steps with a human decision."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from functions.shared.core.aws import client
from functions.shared.core.config import settings
from functions.shared.core.errors import service_unavailable
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import LinkStatus

if TYPE_CHECKING:
    from functions.shared.store.links import LinkView

logger = Logger(child=True)


def execution_name(link: LinkView) -> str:
    # One name per request: starting twice (a retry) cannot run the approval twice.
    stamp = link.requested_at.strftime("%Y%m%dT%H%M%S")
    return f"{link.account_id}-{link.provider_id}-{stamp}"[:80]


def workflow_input(link: LinkView, plan: PlanProfile) -> dict[str, Any]:
    due = link.decision_due or link.requested_at
    return {
        "link": {"account_id": link.account_id, "provider_id": link.provider_id},
        "needs_verification": link.status == LinkStatus.PENDING_VERIFICATION,
        "needs_admin": link.status == LinkStatus.PENDING_ADMIN,
        "admin_timeout_seconds": max(int((due - link.requested_at).total_seconds()), 1),  # also staff's
        "agreement_timeout_seconds": int(plan.agreement_wait.total_seconds()),
        "requires_org_agreement": plan.requires_org_agreement,
        "org_reminder_seconds": int(plan.org_agreement_remind_after.total_seconds()),
    }


def start(link: LinkView, plan: PlanProfile) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    name = execution_name(link)
    try:
        client("stepfunctions").start_execution(stateMachineArn=settings().access_workflow_arn, name=name,
                                                input=json.dumps(workflow_input(link, plan)))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise service_unavailable("We could not start the approval just now. Try again.") from exc
    except BotoCoreError as exc:
        raise service_unavailable("We could not start the approval just now. Try again.") from exc
    return name


def resume(token: str, output: dict[str, Any] | None = None, *, error: str | None = None,
           cause: str = "") -> bool:
    """Resume a waiting step. False when the step no longer waits (decided, timed out, or ended)."""
    from botocore.exceptions import BotoCoreError, ClientError

    sfn = client("stepfunctions")
    try:
        if error:
            sfn.send_task_failure(taskToken=token, error=error, cause=cause[:256])
        else:
            sfn.send_task_success(taskToken=token, output=json.dumps(output or {}))
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code in ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken"):
            logger.info("workflow step no longer waiting", extra={"code": code})
            return False
        raise service_unavailable("We could not pass on the decision just now. Try again.") from exc
    except BotoCoreError as exc:
        raise service_unavailable("We could not pass on the decision just now. Try again.") from exc
    return True
