"""The web tier: one CloudFront origin for the pages (private S3, origin access control) and the API.

`/*` serves `web/` (without the development-only pages) and a `/config.json` generated at deploy
time from the plan profile by the devserver's own generator (infra/site.py). `/api/*` goes to the
REST API uncached, with cookies, query strings and the viewer headers the API reads (API_HEADERS);
a CloudFront Function strips `/api` and the origin path adds the stage, so `/api/sessions` reaches the
stage's `/sessions`. The `__Host-` session cookie (SameSite=Strict) and the pages' `/api` base work
because pages and API share this one origin, as they do on the devserver.

Client addresses: API Gateway's sourceIp is a CloudFront edge server, shared by many viewers. CloudFront
adds `CloudFront-Viewer-Address` (the viewer's address and port) and the origin header
`X-Origin-Verify` to every API request; the stage's web ACL blocks requests without that header
(infra/constructs/waf.py), so the functions (TRUST_VIEWER_ADDRESS_HEADER) take the viewer's address from
CloudFront-Viewer-Address for per-source limits, lockouts and audit records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from functions.shared.core.http import VIEWER_ADDRESS_HEADER
from functions.shared.core.plans import PLANS
from functions.shared.services.sessions import CSRF_HEADER
from infra.config import StageConfig
from infra.constructs.access_logs import CLOUDFRONT_PREFIX, PAGES_PREFIX
from infra.constructs.logs import Logs
from infra.constructs.waf import ORIGIN_VERIFY_HEADER
from infra.site import API_BASE, DEV_ONLY_FILES, PAGE_HEADERS, public_config

WEB_ROOT = Path(__file__).resolve().parents[2] / "web"

CONFIG_KEY = "config.json"
API_PATTERN = f"{API_BASE}/*"
# The viewer headers the API reads (request bodies' type, the audit's user agent, the authorizer's CSRF
# check, idempotent submissions; Accept, by which API Gateway returns an attachment as its binary type),
# then the one CloudFront adds. Cookies and query strings go as a whole.
# An allow list because the other header behaviours cannot add a CloudFront header without also sending
# Host, which API Gateway refuses (403) when it is not its own name. At most 10 (CloudFront's quota).
API_HEADERS = ("Accept", "Content-Type", "User-Agent", CSRF_HEADER, "Idempotency-Key", VIEWER_ADDRESS_HEADER)

# '/api/x' -> '/x' (the behaviour's pattern guarantees the prefix); the origin path adds '/<stage>'.
STRIP_API_PREFIX = f"""function handler(event) {{
  var request = event.request;
  request.uri = request.uri.substring({len(API_BASE)}) || '/';
  return request;
}}
"""

_REFERRER = {policy.name.lower().replace("_", "-"): policy for policy in cloudfront.HeadersReferrerPolicy}
_HSTS = re.compile(r"^max-age=(\d+)(; includeSubDomains)?(; preload)?$")
_OBJECT_HEADERS = {"Cache-Control"}  # object metadata of the deployed files, not a response header


def response_headers(headers: Mapping[str, str], *, override: bool) -> dict[str, object]:
    """The ResponseHeadersPolicy properties that send exactly `headers` (the devserver's page headers).

    Raises on a header or value CloudFront's security-headers block cannot express, so a header added
    to infra/site.py cannot silently go missing in the deployed stage.
    """
    security: dict[str, object] = {}
    custom: list[cloudfront.ResponseCustomHeader] = []
    for name, value in headers.items():
        if name in _OBJECT_HEADERS:
            continue
        if name == "Content-Security-Policy":
            security["content_security_policy"] = cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=value, override=override)
        elif name == "Strict-Transport-Security":
            match = _HSTS.match(value)
            if not match:
                raise ValueError(f"Strict-Transport-Security {value!r} has an unexpected form")
            security["strict_transport_security"] = cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=cdk.Duration.seconds(int(match.group(1))),
                include_subdomains=bool(match.group(2)), preload=bool(match.group(3)), override=override)
        elif name == "X-Content-Type-Options":
            if value != "nosniff":
                raise ValueError(f"X-Content-Type-Options {value!r}: CloudFront only sends nosniff")
            security["content_type_options"] = cloudfront.ResponseHeadersContentTypeOptions(override=override)
        elif name == "X-Frame-Options":
            security["frame_options"] = cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption[value.upper()], override=override)
        elif name == "Referrer-Policy":
            security["referrer_policy"] = cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=_REFERRER[value], override=override)
        else:
            custom.append(cloudfront.ResponseCustomHeader(header=name, value=value, override=override))
    return {
        "security_headers_behavior": cloudfront.ResponseSecurityHeadersBehavior(**security),  # type: ignore[arg-type]
        "custom_headers_behavior": cloudfront.ResponseCustomHeadersBehavior(custom_headers=custom),
    }


class Web(Construct):
    """`distribution` serving `bucket` and the API; `url` is the portal's public base URL."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        rest_api: apigw.RestApi,
        logs: Logs,
        web_acl_arn: str,
        origin_verify: str,
        access_logs: s3.IBucket,
    ) -> None:
        """`origin_verify`: the value of the origin header the API's web ACL requires (waf.origin_verify_value);
        `access_logs`: where the distribution's standard logs and the pages bucket's server access logs go
        (infra/constructs/access_logs.py)."""
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.config_data = public_config(PLANS[config.plan])
        # Static pages only (no data): SSE-S3, private, read by this distribution alone (OAC).
        self.bucket = s3.Bucket(
            self,
            "Pages",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix=PAGES_PREFIX,
            # Rebuilt from git by every deployment: nothing here to keep, nothing to block a re-create.
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.pages_headers = cloudfront.ResponseHeadersPolicy(
            self,
            "PageHeaders",
            response_headers_policy_name=f"{config.prefix}-pages",
            comment="Security headers of the portal's pages (infra/site.py PAGE_HEADERS)",
            **response_headers(PAGE_HEADERS, override=True),  # type: ignore[arg-type]
        )
        # The API sets its own (stricter) CSP and the rest; CloudFront only fills in what is missing.
        self.api_headers = cloudfront.ResponseHeadersPolicy(
            self,
            "ApiHeaders",
            response_headers_policy_name=f"{config.prefix}-api",
            comment="Security headers the API responses lack (infra/site.py PAGE_HEADERS, API's own win)",
            **response_headers(PAGE_HEADERS, override=False),  # type: ignore[arg-type]
        )
        self.strip_prefix = cloudfront.Function(
            self,
            "StripApiPrefix",
            function_name=f"{config.prefix}-api-prefix"[:64],
            comment=f"{API_BASE}/x -> /x before the API origin adds the stage",
            code=cloudfront.FunctionCode.from_inline(STRIP_API_PREFIX),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        # The API's own host name (not rest_api.url, whose stage reference would make a cycle through the
        # functions, which get this distribution's name); the stage is a literal of the config.
        api_domain = f"{rest_api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}"
        self.api_origin = origins.HttpOrigin(
            api_domain,
            origin_path=f"/{config.name}",
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            # Not a credential (see waf.origin_verify_value): it lets the stage's web ACL refuse requests
            # that bypass CloudFront. A viewer's own header of that name is never forwarded (not in API_HEADERS).
            custom_headers={ORIGIN_VERIFY_HEADER: origin_verify},
        )
        self.api_requests = cloudfront.OriginRequestPolicy(
            self,
            "ApiRequests",
            origin_request_policy_name=f"{config.prefix}-api",
            comment="What the portal API reads: its headers, the viewer's address, all cookies and query strings",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.allow_list(*API_HEADERS),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.all(),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.all(),
        )

        self.certificate: acm.ICertificate | None = None
        zone: route53.IHostedZone | None = None
        if config.domain_name:
            if config.hosted_zone_id and config.hosted_zone_name:
                zone = route53.HostedZone.from_hosted_zone_attributes(
                    self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.hosted_zone_name)
            if config.certificate_arn:
                self.certificate = acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn)
            else:
                # CloudFront only takes certificates from us-east-1, where this stack is (see stack.py).
                self.certificate = acm.Certificate(
                    self, "Certificate", domain_name=config.domain_name,
                    validation=acm.CertificateValidation.from_dns(zone))

        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Provider portal ({config.name}, {config.plan})",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.pages_headers,
                compress=True,
            ),
            additional_behaviors={
                API_PATTERN: cloudfront.BehaviorOptions(
                    origin=self.api_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=self.api_requests,
                    response_headers_policy=self.api_headers,
                    function_associations=[cloudfront.FunctionAssociation(
                        function=self.strip_prefix, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST)],
                    compress=True,
                ),
            },
            domain_names=[config.domain_name] if config.domain_name else None,
            certificate=self.certificate,
            # With CloudFront's default certificate the policy is fixed (TLSv1, clients negotiate 1.2/1.3).
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if self.certificate else None,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            web_acl_id=web_acl_arn,
            # Standard logs: one line per viewer request (its URL names records: PHI, see access_logs.py).
            # Cookies are left out: they carry the session.
            enable_logging=True,
            log_bucket=access_logs,
            log_file_prefix=CLOUDFRONT_PREFIX,
            log_includes_cookies=False,
        )
        self.url = config.custom_url or f"https://{self.distribution.distribution_domain_name}"
        if zone is not None and config.domain_name:
            target = route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution))
            route53.ARecord(self, "Alias", zone=zone, record_name=config.domain_name, target=target)
            route53.AaaaRecord(self, "AliasIpv6", zone=zone, record_name=config.domain_name, target=target)

        self.deployment = s3deploy.BucketDeployment(
            self,
            "Deploy",
            destination_bucket=self.bucket,
            sources=[
                s3deploy.Source.asset(str(WEB_ROOT), exclude=list(DEV_ONLY_FILES)),
                s3deploy.Source.json_data(CONFIG_KEY, self.config_data),
            ],
            cache_control=[s3deploy.CacheControl.from_string(PAGE_HEADERS["Cache-Control"])],
            prune=True,
            retain_on_delete=False,
            distribution=self.distribution,
            distribution_paths=["/*"],
            memory_limit=256,
            log_group=logs.log_group(self, "DeployLogs"),
        )
