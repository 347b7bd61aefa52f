"""API Gateway REQUEST authorizer in front of every non-public route (also run by the devserver)."""

from typing import Any

from aws_lambda_powertools import Logger

from functions.authorizer.logic import Decision, authorize, partial_routes
from functions.shared.core import clock, telemetry
from functions.shared.core.config import settings
from functions.shared.core.logs import per_invocation
from functions.shared.core.plans import current_plan
from functions.shared.services.sessions import CSRF_HEADER

logger = Logger()


def _header(event: dict[str, Any], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in (event.get("headers") or {}).items() if k.lower() == wanted), None)


def policy(decision: Decision, method_arn: str) -> dict[str, Any]:
    return {
        "principalId": decision.context.get("account_id", "anonymous"),
        "policyDocument": {"Version": "2012-10-17", "Statement": [{
            "Action": "execute-api:Invoke",
            "Effect": "Allow" if decision.allow else "Deny",
            "Resource": method_arn,
        }]},
        "context": {**decision.context, "reason": decision.reason},
    }


@telemetry.traced
@per_invocation(logger)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    decision = authorize(_header(event, "cookie"), _header(event, CSRF_HEADER), event["httpMethod"],
                         event["resource"], partial_routes(settings().partial_session_routes),
                         current_plan(), clock.now())
    if not decision.authenticated:
        logger.info("request refused", extra={"reason": decision.reason})
        raise Exception("Unauthorized")  # API Gateway's contract for a 401
    if not decision.allow:
        logger.info("request refused", extra={"reason": decision.reason})
    return policy(decision, event["methodArn"])
