"""AWS WAF web ACLs: AWS managed rule groups and a per-IP rate limit, with redacted logs.

Two per stack: `CLOUDFRONT` in front of the distribution (pages and `/api`; it must live in us-east-1)
and `REGIONAL` on the API stage, which also answers on its execute-api URL (staff tools sign requests
to it directly). Account takeover prevention inspects sign-ins at the edge, where the path is `/api/...`.

The REGIONAL one first blocks every request that lacks CloudFront's origin header (`ORIGIN_VERIFY_HEADER`
with this stack's value, see `origin_verify_value`), except the IAM-signed staff routes: portal traffic
can only reach the API through CloudFront, so the functions may trust CloudFront-Viewer-Address.
"""

from __future__ import annotations

from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.logs import Logs

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
ACCOUNT_TAKEOVER_GROUP = "AWSManagedRulesATPRuleSet"
SIGN_IN_PATH = "/api/sessions"  # POST: the sign-in request (functions/signin/models.py SignInRequest)
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"  # added by CloudFront to every request it sends to the API
REQUIRE_CLOUDFRONT_RULE = "RequireCloudFront"
STAFF_PREFIX = "/staff/"  # infra/routes.py: every route under it is IAM-signed (Route.iam)
FHIR_PREFIX = "/api/fhir/"  # the FHIR routes for providers' systems, as the edge sees them
FHIR_RATE_RULE = "RateLimitPerFhirToken"
FHIR_REQUESTS_PER_5_MIN_PER_TOKEN = 3000  # one system's polling and downloads; an export is a handful of files


def origin_verify_value(scope: Construct) -> str:
    """The value CloudFront's origin header carries and the API's web ACL requires: the random UUID AWS
    gave this stack when it was created (the last part of its stack ID).

    It tells requests that came through this stack's distribution from requests sent straight to the
    execute-api URL. It is not a credential: it is readable to anyone who can read the stack's ID, the
    distribution's configuration, the web ACL or the API's request headers in the account, and it
    changes only with a new stack. What it protects: viewers on the internet cannot reach the API
    without passing CloudFront (and its edge web ACL), so they cannot choose the CloudFront-Viewer-Address
    the functions count and log. What it does not: callers inside the account who can read it.
    """
    return cdk.Fn.select(2, cdk.Fn.split("/", cdk.Stack.of(scope).stack_id))


def _path_starts_with(prefix: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
        field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
        positional_constraint="STARTS_WITH",
        search_string=prefix,
        text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
    ))


def _require_cloudfront(priority: int, stage: str, value: str) -> wafv2.CfnWebACL.RuleProperty:
    """Block requests without `ORIGIN_VERIFY_HEADER: value`, except under the staff prefix (with or without
    the stage in the path): those routes are SigV4-signed (AWS_IAM), and staff tools call the execute-api
    URL directly. Their functions do not trust CloudFront-Viewer-Address (infra/constructs/functions.py)."""
    from_cloudfront = wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(single_header={"Name": ORIGIN_VERIFY_HEADER.lower()}),
            positional_constraint="EXACTLY",
            search_string=value,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        ))
    staff = wafv2.CfnWebACL.StatementProperty(or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=[
        _path_starts_with(STAFF_PREFIX), _path_starts_with(f"/{stage}{STAFF_PREFIX}")]))
    return wafv2.CfnWebACL.RuleProperty(
        name=REQUIRE_CLOUDFRONT_RULE, priority=priority, action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=[
            wafv2.CfnWebACL.StatementProperty(not_statement=wafv2.CfnWebACL.NotStatementProperty(
                statement=from_cloudfront)),
            wafv2.CfnWebACL.StatementProperty(not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=staff)),
        ])),
        visibility_config=_visibility(REQUIRE_CLOUDFRONT_RULE),
    )


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _managed(name: str, priority: int, **extra: object) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=name, **extra  # type: ignore[arg-type]
            )
        ),
        visibility_config=_visibility(name),
    )


def _account_takeover(priority: int) -> wafv2.CfnWebACL.RuleProperty:
    """ATP on POST /api/sessions only (it is charged per request analysed): stolen-credential checks,
    volumetric attempts per IP and per session; the JSON fields are the sign-in request's."""
    sign_in = wafv2.CfnWebACL.StatementProperty(
        and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=[
            wafv2.CfnWebACL.StatementProperty(byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                positional_constraint="EXACTLY",
                search_string=SIGN_IN_PATH,
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )),
            wafv2.CfnWebACL.StatementProperty(byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}),
                positional_constraint="EXACTLY",
                search_string="POST",
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )),
        ])
    )
    return _managed(
        ACCOUNT_TAKEOVER_GROUP,
        priority,
        scope_down_statement=sign_in,
        managed_rule_group_configs=[
            wafv2.CfnWebACL.ManagedRuleGroupConfigProperty(
                aws_managed_rules_atp_rule_set=wafv2.CfnWebACL.AWSManagedRulesATPRuleSetProperty(
                    login_path=SIGN_IN_PATH,
                    request_inspection=wafv2.CfnWebACL.RequestInspectionProperty(
                        payload_type="JSON",
                        username_field=wafv2.CfnWebACL.FieldIdentifierProperty(identifier="/login"),
                        password_field=wafv2.CfnWebACL.FieldIdentifierProperty(identifier="/password"),
                    ),
                    response_inspection=wafv2.CfnWebACL.ResponseInspectionProperty(
                        status_code=wafv2.CfnWebACL.ResponseInspectionStatusCodeProperty(
                            success_codes=[200, 201], failure_codes=[400, 401, 403, 423]
                        )
                    ),
                )
            )
        ],
    )


def _rate_rule(name: str, priority: int, statement: wafv2.CfnWebACL.RateBasedStatementProperty
               ) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name, priority=priority, action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=statement),
        visibility_config=_visibility(name),
    )


def _rate_limits(limit: int, *, behind_cloudfront: bool, first: int = 0) -> list[wafv2.CfnWebACL.RuleProperty]:
    """Requests per 5 minutes per client address.

    At the edge the client is the connection's address. The API stage sees CloudFront's addresses for
    portal traffic, so there requests that came through CloudFront (which sets X-Forwarded-For) count
    per forwarded address, and requests straight to execute-api (staff tools) per connection address;
    the edge ACL's own rule is the one a forged X-Forwarded-For cannot evade.
    """
    if not behind_cloudfront:
        return [_rate_rule("RateLimitPerIp", first, wafv2.CfnWebACL.RateBasedStatementProperty(
            aggregate_key_type="IP", limit=limit, evaluation_window_sec=300))]
    has_forwarded_for = wafv2.CfnWebACL.SizeConstraintStatementProperty(
        field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(single_header={"Name": "x-forwarded-for"}),
        comparison_operator="GT", size=0,
        text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
    )
    forwarded = wafv2.CfnWebACL.StatementProperty(size_constraint_statement=has_forwarded_for)
    direct = wafv2.CfnWebACL.StatementProperty(not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=forwarded))
    return [
        _rate_rule("RateLimitPerForwardedIp", first, wafv2.CfnWebACL.RateBasedStatementProperty(
            aggregate_key_type="FORWARDED_IP", limit=limit, evaluation_window_sec=300,
            forwarded_ip_config=wafv2.CfnWebACL.ForwardedIPConfigurationProperty(
                header_name="X-Forwarded-For", fallback_behavior="MATCH"),
            scope_down_statement=forwarded)),
        _rate_rule("RateLimitPerIp", first + 1, wafv2.CfnWebACL.RateBasedStatementProperty(
            aggregate_key_type="IP", limit=limit, evaluation_window_sec=300, scope_down_statement=direct)),
    ]


def _fhir_client_rate_limit(priority: int) -> wafv2.CfnWebACL.RuleProperty:
    """FHIR requests per 5 minutes per bearer token, so one provider system cannot use up the stage's
    throttle for the others. A token lives five minutes and belongs to one client, so this is a limit
    per client; requests without a token (the token endpoint, metadata) fall under the per-IP rule."""
    fhir = _path_starts_with(FHIR_PREFIX)
    return _rate_rule(FHIR_RATE_RULE, priority, wafv2.CfnWebACL.RateBasedStatementProperty(
        aggregate_key_type="CUSTOM_KEYS", limit=FHIR_REQUESTS_PER_5_MIN_PER_TOKEN, evaluation_window_sec=300,
        custom_keys=[wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
            header=wafv2.CfnWebACL.RateLimitHeaderProperty(
                name="authorization",
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")]))],
        scope_down_statement=fhir))


class Waf(Construct):
    """`web_acl` of `scope_` (CLOUDFRONT or REGIONAL) named `<stage/plan prefix>-<suffix>`, logged to
    `aws-waf-logs-<name>`; a REGIONAL one is associated with `stage_arn` and, given `origin_verify`,
    blocks what did not come through CloudFront (see `_require_cloudfront`)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, logs: Logs,
                 scope_: Literal["CLOUDFRONT", "REGIONAL"], stage_arn: str | None = None,
                 origin_verify: str | None = None) -> None:
        super().__init__(scope, construct_id)
        name = f"{config.prefix}-{'edge' if scope_ == 'CLOUDFRONT' else 'api'}"
        rules: list[wafv2.CfnWebACL.RuleProperty] = []
        if scope_ == "REGIONAL" and origin_verify is not None:
            rules.append(_require_cloudfront(0, config.name, origin_verify))
        rules += _rate_limits(config.waf_requests_per_5_min_per_ip, behind_cloudfront=scope_ == "REGIONAL",
                              first=len(rules))
        if scope_ == "CLOUDFRONT":
            rules.append(_fhir_client_rate_limit(len(rules)))
        rules += [_managed(group, priority) for priority, group in enumerate(MANAGED_RULE_GROUPS, start=len(rules))]
        if scope_ == "CLOUDFRONT" and config.account_takeover_protection:
            rules.append(_account_takeover(len(rules)))
        self.name = name
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            scope=scope_,
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(name),
            rules=rules,
        )
        if stage_arn is not None:
            wafv2.CfnWebACLAssociation(self, "Association", resource_arn=stage_arn,
                                       web_acl_arn=self.web_acl.attr_arn)

        # WAF only logs to groups named aws-waf-logs-*, addressed by an ARN without the ':*' suffix.
        log_group_name = f"aws-waf-logs-{name}"
        log_group = logs.log_group(self, "Logs", name=log_group_name)
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[
                cdk.Stack.of(self).format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=log_group_name,
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            # Session cookies, bearer tokens, query strings (activation links), the origin header's value
            # and, for ATP, the sign-in body never reach the logs.
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "cookie"}),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "authorization"}),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(query_string={}),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(
                    single_header={"Name": ORIGIN_VERIFY_HEADER.lower()}),
            ],
        )
        logging.node.add_dependency(log_group)

    def metric_blocked(self, period: cdk.Duration) -> cdk.aws_cloudwatch.Metric:
        """Requests this web ACL blocked (all rules)."""
        dimensions = {"WebACL": self.name, "Rule": "ALL"}
        if self.web_acl.scope == "REGIONAL":
            dimensions["Region"] = cdk.Stack.of(self).region
        return cdk.aws_cloudwatch.Metric(namespace="AWS/WAFV2", metric_name="BlockedRequests",
                                         dimensions_map=dimensions, period=period, statistic="Sum")
