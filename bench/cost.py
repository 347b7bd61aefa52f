"""Monthly AWS cost per monthly active user (MAU), from the AWS calls per request bench measured.

Each journey's AWS operations come from `aws_calls.measure()` (warm container: what most requests
are); how often an active user makes each journey, how long functions run and how big a log line is
are the assumptions in `Usage`, printed with the result. Prices: `bench/prices.py` (one file, with
its source and date). Amazon Cognito Essentials' per-MAU price is printed beside it for the same
users; SMS is shown apart because Cognito sends its codes through the same SNS SMS at the same price.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields

from bench import prices
from bench.aws_calls import Result
from bench.table import render
from infra.routes import FUNCTIONS

MAU_TIERS = (10_000, 100_000, 1_000_000)
TARGET_SHARE_OF_COGNITO = 0.1

# Which measured endpoint stands for which journey step (labels of aws_calls.Portal.scenarios()).
SIGN_IN = "POST /sessions (sign-in, password only)"
MFA = "POST /mfa/verify (email code; authorizer incl.)"
REGISTER = "POST /registrations"
ACTIVATE = "POST /activations (token from the mail)"
PORTAL_READS = ("POST /eligibility (member ID; authorizer incl.)", "GET /claims/{claim_id} (authorizer incl.)",
                "POST /claims/search (a provider's page)")

# Request units per operation (items of 1 KB or less; a transaction counts double per item).
RRU = {"GetItem": 1, "Query": 1, "BatchGetItem": 2, "TransactGetItems": 4, "Scan": 10}
WRU = {"PutItem": 1, "UpdateItem": 1, "DeleteItem": 1, "BatchWriteItem": 2, "TransactWriteItems": 6}


@dataclass(frozen=True)
class Usage:
    """What one active user does in a month (assumptions; change them here)."""

    sign_ins: float = 6  # visits a month
    code_share: float = 0.5  # sign-ins that ask for a code (a remembered device skips it)
    sms_share: float = 0.25  # of those codes, sent by SMS (the rest: email 35 %, app or push 40 %)
    email_share: float = 0.35
    portal_reads: float = 25  # eligibility checks, claim lookups and pages
    other_api_calls_per_visit: float = 3  # session check, links, account page
    new_user_share: float = 0.1  # of MAU who register and activate this month
    static_requests_per_visit: float = 20  # pages, scripts, styles (revalidated: Cache-Control no-cache)
    kb_per_static_request: float = 8
    kb_per_api_response: float = 3
    handler_ms: float = 120  # average billed duration of a handler (sign-in and code checks: argon2id)
    handler_gb: float = 0.5  # average memory (most functions 256 MB, sign-in/MFA/registration 1024 MB)
    authorizer_ms: float = 40
    authorizer_gb: float = 0.25
    log_kb_per_invocation: float = 1.5  # Powertools JSON line, EMF line, Lambda REPORT line
    transitions_per_execution: float = 10  # Step Functions access approval


def _warm(results: Sequence[Result], endpoint: str) -> Counter[str]:
    for result in results:
        if result.endpoint == endpoint and not result.error:
            return Counter(result.warm)
    raise ValueError(f"bench measured no usable {endpoint!r}")


def _calls_per_user(results: Sequence[Result], usage: Usage) -> tuple[Counter[str], float, float]:
    """AWS operations per MAU a month, API requests per MAU, and authorized (session) API requests."""
    reads: Counter[str] = Counter()
    for endpoint in PORTAL_READS:
        reads.update(_warm(results, endpoint))
    per_read = {op: n / len(PORTAL_READS) for op, n in reads.items()}
    calls: Counter[str] = Counter()

    def add(ops: Counter[str] | dict[str, float], times: float) -> None:
        for op, n in ops.items():
            calls[op] += n * times  # type: ignore[assignment]

    codes = usage.sign_ins * usage.code_share
    add(_warm(results, SIGN_IN), usage.sign_ins)
    add(_warm(results, MFA), codes)
    add(per_read, usage.portal_reads + usage.sign_ins * usage.other_api_calls_per_visit)
    add(_warm(results, REGISTER), usage.new_user_share)
    add(_warm(results, ACTIVATE), usage.new_user_share)
    # The measured code check mailed nothing itself (the code was mailed by the challenge before it).
    calls["ses.SendEmail"] += codes * usage.email_share
    api_requests = (usage.sign_ins * (1 + usage.other_api_calls_per_visit) + codes + usage.portal_reads
                    + 2 * usage.new_user_share)
    session_requests = codes + usage.portal_reads + usage.sign_ins * usage.other_api_calls_per_visit
    return calls, api_requests, session_requests


def _fixed_monthly(atp: bool) -> dict[str, float]:
    """What a stack costs a month however many users it has."""
    alarms = 3 * len(FUNCTIONS) + 40  # per function, plus API, tables, workflows, mail, SMS, WAF, sign-in
    rules = 4 + 4 + (1 if atp else 0)
    return {
        "WAF web ACLs and rules": 2 * prices.WAF_PER_ACL_MONTH + rules * prices.WAF_PER_RULE_MONTH
        + (prices.WAF_ATP_PER_MONTH if atp else 0),
        "KMS keys": 9 * prices.KMS_PER_KEY_MONTH,
        "CloudWatch alarms and dashboard": alarms * prices.ALARM_PER_MONTH + prices.DASHBOARD_PER_MONTH,
    }


def per_user(results: Sequence[Result], usage: Usage = Usage(), *, atp: bool = False) -> dict[str, float]:
    """Variable USD per MAU a month, by service."""
    calls, api_requests, session_requests = _calls_per_user(results, usage)
    by_op = Counter({op.split(".", 1)[1]: n for op, n in calls.items() if op.startswith("dynamodb.")})
    rru = sum(RRU.get(op, 0) * n for op, n in by_op.items())
    wru = sum(WRU.get(op, 0) * n for op, n in by_op.items())
    invocations = api_requests + session_requests  # handler + authorizer
    gb_seconds = (api_requests * usage.handler_ms / 1000 * usage.handler_gb
                  + session_requests * usage.authorizer_ms / 1000 * usage.authorizer_gb)
    static = usage.sign_ins * usage.static_requests_per_visit
    edge_requests = static + api_requests
    gb_out = (static * usage.kb_per_static_request + api_requests * usage.kb_per_api_response) / 1024 / 1024
    mails = sum(n for op, n in calls.items() if op.split(".", 1)[0] in ("ses", "sesv2") and "Send" in op)
    kms = sum(n for op, n in calls.items() if op.startswith("kms."))
    executions = sum(n for op, n in calls.items() if op == "stepfunctions.StartExecution")
    sms = usage.sign_ins * usage.code_share * usage.sms_share
    costs = {
        "Lambda": invocations * prices.LAMBDA_PER_MILLION_REQUESTS / 1e6 + gb_seconds * prices.LAMBDA_GB_SECOND_ARM,
        "API Gateway": api_requests * prices.API_GATEWAY_REST_PER_MILLION / 1e6,
        "CloudFront": edge_requests * prices.CLOUDFRONT_HTTPS_PER_10K / 1e4 + gb_out * prices.CLOUDFRONT_PER_GB_OUT,
        "DynamoDB": rru * prices.DYNAMODB_PER_MILLION_RRU / 1e6 + wru * prices.DYNAMODB_PER_MILLION_WRU / 1e6,
        "SES": mails * prices.SES_PER_THOUSAND / 1e3,
        "Step Functions": executions * usage.transitions_per_execution
        * prices.STEP_FUNCTIONS_PER_THOUSAND_TRANSITIONS / 1e3,
        "KMS": kms * prices.KMS_PER_10K_REQUESTS / 1e4,
        "WAF requests": (edge_requests + api_requests) * prices.WAF_PER_MILLION_REQUESTS / 1e6,
        "CloudWatch Logs": invocations * usage.log_kb_per_invocation / 1024 / 1024 * prices.LOGS_PER_GB_INGESTED,
        "SNS SMS": sms * prices.SMS_US_PER_MESSAGE,
    }
    if atp:
        costs["WAF account takeover prevention"] = usage.sign_ins * prices.WAF_ATP_PER_THOUSAND_LOGINS / 1e3
    return costs


def cognito_per_mau(mau: int) -> float:
    """Cognito Essentials' bill for `mau` users divided by them (the first 10,000 MAU are free)."""
    return max(0, mau - prices.COGNITO_ESSENTIALS_FREE_MAU) * prices.COGNITO_ESSENTIALS_PER_MAU / mau


def report(results: Sequence[Result], usage: Usage = Usage()) -> str:
    lines = []
    for atp in (False, True):
        variable = per_user(results, usage, atp=atp)
        fixed = sum(_fixed_monthly(atp).values())
        sms = variable["SNS SMS"]
        rows = []
        for mau in MAU_TIERS:
            without_sms = sum(v for k, v in variable.items() if k != "SNS SMS") + fixed / mau
            cognito = cognito_per_mau(mau)
            ratio = f"{without_sms / cognito:.2f}" if cognito else "- (free tier)"
            meets = "yes" if cognito and without_sms <= TARGET_SHARE_OF_COGNITO * cognito else "NO"
            rows.append([f"{mau:,}", f"{without_sms:.5f}", f"{sms:.5f}", f"{(without_sms + sms) * mau:,.0f}",
                         f"{cognito:.5f}", f"{prices.COGNITO_ESSENTIALS_PER_MAU:.5f}", ratio, meets])
        title = "with" if atp else "without"
        lines.append(f"Monthly cost per active user, {title} WAF account takeover prevention (USD)\n" + render(
            ["MAU", "portal / MAU", "+ SMS / MAU", "month total", "Cognito Ess. / MAU", "Cognito list",
             "portal / Cognito", f"<= {TARGET_SHARE_OF_COGNITO:.0%}"],
            rows, right=(1, 2, 3, 4, 5, 6)))
    top = sorted(per_user(results, usage).items(), key=lambda kv: -kv[1])
    lines.append("Per MAU by service (without ATP): " + ", ".join(f"{k} {v:.6f}" for k, v in top if v))
    lines.append("Fixed per stack and month: " + ", ".join(f"{k} {v:.2f}" for k, v in _fixed_monthly(False).items()))
    lines.append("Assumptions per MAU and month: " + ", ".join(f"{f.name}={getattr(usage, f.name)}"
                                                               for f in fields(usage)))
    lines.append(f"Prices: bench/prices.py, {prices.REGION}, as of {prices.PRICES_AS_OF}. SMS is shown apart: "
                 "Cognito sends its codes through SNS SMS at the same price.")
    return "\n".join(lines)
