"""The answers API Gateway gives itself, as problem+json: one per response type, each with its fixed status.

A gateway response template substitutes `$context` variables only (no VTL), so it cannot copy the status
into the body: every response type gets its own gateway response, whose status the body states too. The
catch-all DEFAULT_4XX/5XX then only serve response types AWS may add later, with a fixed status of their
own. Plain data (no CDK): the API construct (infra/constructs/api.py), the devserver's gateway and the
contract (openapi/generate.py) read the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

GATEWAY_MESSAGE = "$context.error.messageString"  # API Gateway's own message, already a JSON string


@dataclass(frozen=True)
class GatewayProblem:
    response_type: str  # API Gateway's name for the situation
    status: int
    slug: str  # /problems/<slug>
    title: str
    detail: str | None = None  # None: API Gateway's own message
    retry_after: int | None = None  # seconds, where trying again soon can succeed


# A path no route has: the API's catch-all `{proxy+}` answers it (infra/constructs/api.py), so that API
# Gateway's "Missing Authentication Token" means only an unsigned staff request.
UNKNOWN_ADDRESS = GatewayProblem("RESOURCE_NOT_FOUND", 404, "not-found", "Not found",
                                 "There is no such address in the portal API.")

GATEWAY_PROBLEMS: tuple[GatewayProblem, ...] = (
    # No session cookie: API Gateway answers without calling the authorizer, which answers the rest.
    GatewayProblem("UNAUTHORIZED", 401, "unauthenticated", "Sign-in required"),
    # The authorizer refused a live session (its context names why: functions/authorizer/logic.py), or
    # the IAM signer may not call a staff route.
    GatewayProblem("ACCESS_DENIED", 403, "forbidden", "Not allowed"),
    GatewayProblem("INVALID_SIGNATURE", 403, "signature-invalid", "Request signature does not match"),
    GatewayProblem("EXPIRED_TOKEN", 403, "credentials-expired", "Signing credentials expired"),
    GatewayProblem("INVALID_API_KEY", 403, "forbidden", "Not allowed"),
    # The stage's web ACL blocked the request (it did not come through CloudFront, or a rule matched).
    GatewayProblem("WAF_FILTERED", 403, "blocked", "Request blocked",
                   "The portal's firewall refused this request."),
    # "Missing Authentication Token": an unsigned request for a staff route. (API Gateway says the same for
    # a path or method no route has; the API answers those itself: UNKNOWN_ADDRESS, and 405 with Allow.)
    GatewayProblem("MISSING_AUTHENTICATION_TOKEN", 403, "forbidden", "Not allowed",
                   "Staff routes take signed (IAM) requests only."),
    UNKNOWN_ADDRESS,
    GatewayProblem("BAD_REQUEST_BODY", 400, "malformed-body", "Malformed body"),
    GatewayProblem("BAD_REQUEST_PARAMETERS", 400, "malformed-request", "Malformed request"),
    GatewayProblem("REQUEST_TOO_LARGE", 413, "content-too-large", "Content too large"),
    GatewayProblem("UNSUPPORTED_MEDIA_TYPE", 415, "unsupported-media-type", "Unsupported media type",
                   "Send the body as application/json."),
    GatewayProblem("THROTTLED", 429, "rate-limited", "Too many requests", retry_after=1),  # refills each second
    GatewayProblem("QUOTA_EXCEEDED", 429, "rate-limited", "Too many requests", retry_after=60),
    GatewayProblem("DEFAULT_4XX", 400, "request-refused", "Request refused"),
    GatewayProblem("AUTHORIZER_FAILURE", 503, "service-unavailable", "Try again shortly",
                   "Sessions could not be checked just now.", retry_after=5),
    GatewayProblem("INTEGRATION_FAILURE", 502, "bad-gateway", "Bad gateway",
                   "The portal could not answer this request; try again shortly.", retry_after=5),
    GatewayProblem("INTEGRATION_TIMEOUT", 504, "gateway-timeout", "Gateway timeout",
                   "The portal took too long to answer; try again (with the same Idempotency-Key for a "
                   "change).", retry_after=5),
    GatewayProblem("AUTHORIZER_CONFIGURATION_ERROR", 500, "internal", "Something went wrong"),
    GatewayProblem("API_CONFIGURATION_ERROR", 500, "internal", "Something went wrong"),
    GatewayProblem("DEFAULT_5XX", 500, "internal", "Something went wrong"),
)


def gateway_problem(response_type: str) -> GatewayProblem:
    return next(p for p in GATEWAY_PROBLEMS if p.response_type == response_type)
