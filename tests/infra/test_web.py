"""The web tier as synthesized: one CloudFront origin for the pages (private S3, OAC) and `/api`,
the devserver's headers and config, no development-only part, a custom domain, the edge web ACL, and
one stack per stage and plan with no physical name shared between two plans.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from devserver.gateway import STAFF_HEADER
from functions.shared.core.http import SECURITY_HEADERS, VIEWER_ADDRESS_HEADER
from functions.shared.core.plans import PLANS
from functions.shared.services.sessions import CSRF_HEADER
from infra.app import build_app
from infra.config import StageConfig, stages_from_context
from infra.constructs.waf import (
    ACCOUNT_TAKEOVER_GROUP,
    FHIR_PREFIX,
    FHIR_RATE_RULE,
    FHIR_REQUESTS_PER_5_MIN_PER_TOKEN,
    ORIGIN_VERIFY_HEADER,
    REQUIRE_CLOUDFRONT_RULE,
    SIGN_IN_PATH,
)
from infra.constructs.web import API_HEADERS, CONFIG_KEY, STRIP_API_PREFIX
from infra.routes import ROUTES
from infra.site import DEV_ONLY_FILES, PAGE_HEADERS, public_config
from infra.stack import PortalStack
from tests.infra.helpers import NO_BUNDLING, Synth, deployed_files, refs, resources, synth

# CloudFront's managed policies (ids fixed by AWS).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
# The value the origin header carries: the UUID part of this stack's ID (waf.origin_verify_value).
STACK_UUID = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Both plans of the prod stage (cdk.json `plans`), in one app: custom domains, ATP on."""
    return synth(tmp_path_factory.mktemp("cdk.out"), stage="prod")


def _distribution(template: dict[str, Any]) -> dict[str, Any]:
    (distribution,) = resources(template, "AWS::CloudFront::Distribution").values()
    return distribution["Properties"]["DistributionConfig"]


def _api_behaviour(template: dict[str, Any]) -> dict[str, Any]:
    (behaviour,) = _distribution(template)["CacheBehaviors"]
    return behaviour


def _deployment(template: dict[str, Any]) -> dict[str, Any]:
    (deployment,) = resources(template, "Custom::CDKBucketDeployment").values()
    return deployment["Properties"]


# --- pages and API on one origin --------------------------------------------------------------------


def test_pages_come_from_a_private_bucket_through_origin_access_control(dev: Synth, template: dict) -> None:
    config = _distribution(template)
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    s3_origin = origins[config["DefaultCacheBehavior"]["TargetOriginId"]]
    assert s3_origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert "OriginAccessControlId" in s3_origin
    (bucket_id,) = [k for k, v in resources(template, "AWS::S3::Bucket").items()
                    if k in set(refs(s3_origin["DomainName"]))]
    bucket = template["Resources"][bucket_id]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    (policy,) = [p["Properties"]["PolicyDocument"] for p in resources(template, "AWS::S3::BucketPolicy").values()
                 if bucket_id in set(refs(p["Properties"]["Bucket"]))]
    reads = [s for s in policy["Statement"] if s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}]
    assert reads and all(s["Effect"] == "Allow" and s["Action"] == "s3:GetObject" for s in reads)
    distribution_id = next(iter(resources(template, "AWS::CloudFront::Distribution")))
    assert all(distribution_id in set(refs(s["Condition"])) for s in reads)  # this distribution only
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultCacheBehavior"]["AllowedMethods"] == ["GET", "HEAD"]


def test_api_is_under_api_on_the_same_distribution_uncached_with_cookies_and_queries(
    dev: Synth, template: dict
) -> None:
    behaviour = _api_behaviour(template)
    assert behaviour["PathPattern"] == "/api/*"
    assert behaviour["CachePolicyId"] == CACHING_DISABLED
    (policy_id, policy), = resources(template, "AWS::CloudFront::OriginRequestPolicy").items()
    assert list(refs(behaviour["OriginRequestPolicyId"])) == [policy_id]
    # all cookies and query strings; the headers the API reads, never Host (API Gateway answers only to
    # its own host name)
    policy = policy["Properties"]["OriginRequestPolicyConfig"]
    assert policy["CookiesConfig"] == {"CookieBehavior": "all"}
    assert policy["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    assert policy["HeadersConfig"]["HeaderBehavior"] == "whitelist"
    assert policy["HeadersConfig"]["Headers"] == list(API_HEADERS)
    assert set(behaviour["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert behaviour["ViewerProtocolPolicy"] == "https-only"
    origin = next(o for o in _distribution(template)["Origins"] if o["Id"] == behaviour["TargetOriginId"])
    rest_api_id = next(iter(resources(template, "AWS::ApiGateway::RestApi")))
    assert list(refs(origin["DomainName"])) == [rest_api_id]
    assert origin["OriginPath"] == "/dev"  # the stage
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    assert origin["OriginCustomHeaders"] == [{"HeaderName": ORIGIN_VERIFY_HEADER, "HeaderValue": STACK_UUID}]
    (association,) = behaviour["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    (function_id, function), = resources(template, "AWS::CloudFront::Function").items()
    assert list(refs(association["FunctionARN"])) == [function_id]
    assert function["Properties"]["FunctionCode"] == STRIP_API_PREFIX
    assert function["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"


def test_the_api_gets_the_viewers_address_and_every_header_it_reads() -> None:
    # CloudFront's generated header, and what the functions and the authorizer read (functions/shared/core/http.py
    # request_meta and body checks, functions/authorizer, functions/authorizations Idempotency-Key).
    assert VIEWER_ADDRESS_HEADER in API_HEADERS
    assert {"Accept", "Content-Type", "User-Agent", CSRF_HEADER, "Idempotency-Key"} <= set(API_HEADERS)
    assert "Host" not in API_HEADERS and "Authorization" not in API_HEADERS  # refused by API GW / CloudFront
    assert ORIGIN_VERIFY_HEADER not in API_HEADERS  # a viewer cannot supply the origin header
    assert len(API_HEADERS) <= 10  # CloudFront's quota of headers in an origin request policy


def test_the_viewer_function_turns_api_paths_into_the_apis_own() -> None:
    script = STRIP_API_PREFIX + """
for (const uri of ["/api/sessions", "/api/links/G1000001/decision", "/api/"]) {
  console.log(handler({request: {uri: uri, querystring: {a: {value: "1"}}}}).uri);
}"""
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout.split()
    # with the origin path '/dev': /dev/sessions, /dev/links/G1000001/decision, /dev/
    assert out == ["/sessions", "/links/G1000001/decision", "/"]


def test_functions_link_to_the_address_the_distribution_serves(dev: Synth, template: dict) -> None:
    distribution_id = next(iter(resources(template, "AWS::CloudFront::Distribution")))
    for fn in resources(template, "AWS::Lambda::Function").values():
        env = fn["Properties"].get("Environment", {}).get("Variables", {})
        if "PORTAL_URL" in env:
            assert env["PORTAL_URL"] == {"Fn::Join": ["", [
                "https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]}


# --- headers ----------------------------------------------------------------------------------------


def _headers_of(policy: dict[str, Any]) -> tuple[dict[str, str], set[bool]]:
    """The headers a ResponseHeadersPolicy sends, as the devserver writes them, and its override flags."""
    config = policy["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    headers = {
        "Content-Security-Policy": security["ContentSecurityPolicy"]["ContentSecurityPolicy"],
        "Strict-Transport-Security": f"max-age={hsts['AccessControlMaxAgeSec']}"
        + ("; includeSubDomains" if hsts["IncludeSubdomains"] else "") + ("; preload" if hsts["Preload"] else ""),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": security["FrameOptions"]["FrameOption"],
        "Referrer-Policy": security["ReferrerPolicy"]["ReferrerPolicy"],
        **{item["Header"]: item["Value"] for item in config["CustomHeadersConfig"]["Items"]},
    }
    overrides = {item["Override"] for item in [*security.values(), *config["CustomHeadersConfig"]["Items"]]}
    return headers, overrides


def test_pages_get_exactly_the_devservers_security_headers(template: dict) -> None:
    policies = {p["Properties"]["ResponseHeadersPolicyConfig"]["Name"]: p
                for p in resources(template, "AWS::CloudFront::ResponseHeadersPolicy").values()}
    expected = {k: v for k, v in PAGE_HEADERS.items() if k != "Cache-Control"}  # object metadata instead
    pages, overrides = _headers_of(policies["provider-portal-dev-caresource-pages"])
    assert pages == expected and overrides == {True}
    assert "preload" in pages["Strict-Transport-Security"]
    assert int(pages["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000
    # API responses keep their own (stricter) values; CloudFront only adds what they lack
    api, overrides = _headers_of(policies["provider-portal-dev-caresource-api"])
    assert api == expected and overrides == {False}
    behaviours = _distribution(template)
    assert behaviours["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {
        "Ref": next(k for k, p in resources(template, "AWS::CloudFront::ResponseHeadersPolicy").items()
                    if p["Properties"]["ResponseHeadersPolicyConfig"]["Name"].endswith("-pages"))}
    assert _deployment(template)["SystemMetadata"]["cache-control"] == PAGE_HEADERS["Cache-Control"]


def test_api_gateways_own_answers_carry_the_security_headers(template: dict) -> None:
    responses = resources(template, "AWS::ApiGateway::GatewayResponse").values()
    assert responses
    for response in responses:
        params = response["Properties"]["ResponseParameters"]
        for name, value in SECURITY_HEADERS.items():
            assert params[f"gatewayresponse.header.{name}"] == f"'{value}'"


# --- config.json and development-only parts ---------------------------------------------------------


def test_config_json_is_the_devservers_generator_without_development_parts(dev: Synth, template: dict) -> None:
    files = deployed_files(dev, template)
    config = json.loads(files[CONFIG_KEY])
    assert config == public_config(PLANS["caresource"])  # the same function the devserver serves
    assert config["api"] == "/api"
    assert "outbox" not in config  # the pages show the "Development" note and link only with it


def test_deployed_pages_hold_no_development_only_part(dev: Synth, template: dict) -> None:
    files = deployed_files(dev, template)
    assert "index.html" in files and "signin.html" in files and "js/api.js" in files
    for dev_only in DEV_ONLY_FILES:
        assert dev_only not in files
    for name, content in files.items():
        assert b"/dev/outbox.json" not in content, name  # the devserver's outbox endpoint
        assert STAFF_HEADER.encode().lower() not in content.lower(), name  # the local staff stand-in
    # nor does the distribution route anything but pages and /api (no /dev/* to the devserver's tools)
    assert [b["PathPattern"] for b in _distribution(template)["CacheBehaviors"]] == ["/api/*"]
    for fn in resources(template, "AWS::Lambda::Function").values():
        env = fn["Properties"].get("Environment", {}).get("Variables", {})
        assert not any("OUTBOX" in k or "STAFF" in k for k in env)


def test_deployment_invalidates_and_prunes(template: dict) -> None:
    props = _deployment(template)
    assert props["Prune"] is True
    assert props["DistributionPaths"] == ["/*"]
    assert list(refs(props["DistributionId"])) == [next(iter(resources(template, "AWS::CloudFront::Distribution")))]


# --- WAF, region ------------------------------------------------------------------------------------


def test_edge_web_acl_guards_the_distribution(template: dict) -> None:
    acls = {a["Properties"]["Scope"]: (k, a["Properties"])
            for k, a in resources(template, "AWS::WAFv2::WebACL").items()}
    edge_id, edge = acls["CLOUDFRONT"]
    assert list(refs(_distribution(template)["WebACLId"])) == [edge_id]
    names = {rule["Name"] for rule in edge["Rules"]}
    assert {"RateLimitPerIp", "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet",
            "AWSManagedRulesKnownBadInputsRuleSet"} <= names
    assert ACCOUNT_TAKEOVER_GROUP not in names  # dev does not enable it
    assert edge["Name"] == "provider-portal-dev-caresource-edge"
    logging = [c["Properties"] for c in resources(template, "AWS::WAFv2::LoggingConfiguration").values()
               if edge_id in set(refs(c["Properties"]["ResourceArn"]))]
    assert len(logging) == 1 and {"SingleHeader": {"Name": "cookie"}} in logging[0]["RedactedFields"]


def _header_is(statement: dict[str, Any], name: str, value: Any) -> bool:
    match = statement.get("ByteMatchStatement", {})
    return (match.get("FieldToMatch") == {"SingleHeader": {"Name": name.lower()}}
            and match.get("PositionalConstraint") == "EXACTLY" and match.get("SearchString") == value
            and match.get("TextTransformations") == [{"Priority": 0, "Type": "NONE"}])


def test_the_api_stage_refuses_requests_that_bypass_cloudfront(template: dict) -> None:
    acls = {a["Properties"]["Scope"]: (k, a) for k, a in resources(template, "AWS::WAFv2::WebACL").items()}
    regional_id, regional = acls["REGIONAL"]
    (first, *_), = [sorted(regional["Properties"]["Rules"], key=lambda r: r["Priority"])]
    # the first rule blocks, before any rate limit counts the request
    assert first["Name"] == REQUIRE_CLOUDFRONT_RULE and first["Priority"] == 0 and first["Action"] == {"Block": {}}
    without_header, not_staff = first["Statement"]["AndStatement"]["Statements"]
    # ... every request whose origin header is not exactly the distribution's value ...
    assert _header_is(without_header["NotStatement"]["Statement"], ORIGIN_VERIFY_HEADER, STACK_UUID)
    origin = next(o for o in _distribution(template)["Origins"] if "CustomOriginConfig" in o)
    assert {"HeaderName": ORIGIN_VERIFY_HEADER, "HeaderValue": STACK_UUID} in origin["OriginCustomHeaders"]
    # ... except the IAM-signed staff routes (staff tools call the execute-api URL), with or without the stage
    staff = not_staff["NotStatement"]["Statement"]["OrStatement"]["Statements"]
    assert [(s["ByteMatchStatement"]["FieldToMatch"], s["ByteMatchStatement"]["PositionalConstraint"],
             s["ByteMatchStatement"]["SearchString"]) for s in staff] == [
        ({"UriPath": {}}, "STARTS_WITH", "/staff/"), ({"UriPath": {}}, "STARTS_WITH", "/dev/staff/")]
    assert all(r.path.startswith("/staff/") for r in ROUTES if r.iam)
    assert not any(r.path.startswith("/staff") for r in ROUTES if not r.iam)
    # the edge ACL has no such rule (viewers never send the header)
    assert REQUIRE_CLOUDFRONT_RULE not in {r["Name"] for r in acls["CLOUDFRONT"][1]["Properties"]["Rules"]}
    # the rule starts once the distribution sends the header; the value never reaches the WAF logs
    distribution_id = next(iter(resources(template, "AWS::CloudFront::Distribution")))
    assert distribution_id in regional.get("DependsOn", [])
    (logging,) = [c["Properties"] for c in resources(template, "AWS::WAFv2::LoggingConfiguration").values()
                  if regional_id in set(refs(c["Properties"]["ResourceArn"]))]
    assert {"SingleHeader": {"Name": ORIGIN_VERIFY_HEADER.lower()}} in logging["RedactedFields"]


def test_per_client_rate_limits_count_viewers_not_cloudfront(template: dict) -> None:
    acls = {a["Properties"]["Scope"]: a["Properties"] for a in resources(template, "AWS::WAFv2::WebACL").values()}
    limit = 300  # cdk.json dev
    edge = {r["Name"]: r["Statement"]["RateBasedStatement"] for r in acls["CLOUDFRONT"]["Rules"]
            if "RateBasedStatement" in r["Statement"]}
    assert set(edge) == {"RateLimitPerIp", FHIR_RATE_RULE}
    assert edge["RateLimitPerIp"] == {"AggregateKeyType": "IP", "Limit": limit, "EvaluationWindowSec": 300}
    regional = {r["Name"]: r["Statement"]["RateBasedStatement"] for r in acls["REGIONAL"]["Rules"]
                if "RateBasedStatement" in r["Statement"]}
    forwarded, direct = regional["RateLimitPerForwardedIp"], regional["RateLimitPerIp"]
    # through CloudFront: per viewer address (X-Forwarded-For), not per edge server
    assert forwarded["AggregateKeyType"] == "FORWARDED_IP" and forwarded["Limit"] == limit
    assert forwarded["ForwardedIPConfig"]["HeaderName"] == "X-Forwarded-For"
    has_header = forwarded["ScopeDownStatement"]["SizeConstraintStatement"]
    assert has_header["FieldToMatch"] == {"SingleHeader": {"Name": "x-forwarded-for"}}
    # straight to execute-api: per connection address
    assert direct["AggregateKeyType"] == "IP" and direct["Limit"] == limit
    assert direct["ScopeDownStatement"]["NotStatement"]["Statement"]["SizeConstraintStatement"] == has_header


def test_each_provider_system_has_its_own_rate_limit_on_the_fhir_routes(template: dict) -> None:
    (edge,) = [a["Properties"] for a in resources(template, "AWS::WAFv2::WebACL").values()
               if a["Properties"]["Scope"] == "CLOUDFRONT"]
    (rule,) = [r for r in edge["Rules"] if r["Name"] == FHIR_RATE_RULE]
    statement = rule["Statement"]["RateBasedStatement"]
    assert rule["Action"] == {"Block": {}} and statement["Limit"] == FHIR_REQUESTS_PER_5_MIN_PER_TOKEN
    # counted per bearer token (one client's for five minutes), on the FHIR routes only
    assert statement["AggregateKeyType"] == "CUSTOM_KEYS"
    assert [k["Header"]["Name"] for k in statement["CustomKeys"]] == ["authorization"]
    scope = statement["ScopeDownStatement"]["ByteMatchStatement"]
    assert (scope["PositionalConstraint"], scope["SearchString"]) == ("STARTS_WITH", FHIR_PREFIX)
    assert FHIR_PREFIX == "/api/fhir/" and all(r.path.startswith("/fhir/") for r in ROUTES if r.fhir)


def test_account_takeover_prevention_inspects_sign_in_where_enabled(prod: Synth) -> None:
    for stack in prod.stacks:
        template = prod.template(stack)
        (edge,) = [a["Properties"] for a in resources(template, "AWS::WAFv2::WebACL").values()
                   if a["Properties"]["Scope"] == "CLOUDFRONT"]
        (atp,) = [r for r in edge["Rules"] if r["Name"] == ACCOUNT_TAKEOVER_GROUP]
        group = atp["Statement"]["ManagedRuleGroupStatement"]
        (config,) = group["ManagedRuleGroupConfigs"]
        atp_config = config["AWSManagedRulesATPRuleSet"]
        assert atp_config["LoginPath"] == SIGN_IN_PATH == "/api/sessions"
        assert atp_config["RequestInspection"] == {
            "PayloadType": "JSON", "UsernameField": {"Identifier": "/login"},
            "PasswordField": {"Identifier": "/password"}}
        scope = [s["ByteMatchStatement"] for s in group["ScopeDownStatement"]["AndStatement"]["Statements"]]
        assert {(s["SearchString"], next(iter(s["FieldToMatch"]))) for s in scope} == {
            ("/api/sessions", "UriPath"), ("POST", "Method")}


def test_the_stack_deploys_only_where_cloudfront_takes_its_acl_and_certificate(template: dict) -> None:
    rule = template["Rules"]["EdgeRegion"]["Assertions"][0]["Assert"]
    assert rule == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    config = stages_from_context({"stages": {"qa": _stage()}})[0].model_copy(update={"region": "eu-west-1"})
    with pytest.raises(ValueError, match="us-east-1"):
        PortalStack(cdk.App(context=NO_BUNDLING), config)


# --- custom domain ----------------------------------------------------------------------------------


def test_custom_domain_gets_certificate_alias_records_and_the_mail_links(prod: Synth) -> None:
    for stack in prod.stacks:
        template = prod.template(stack)
        domain = stack.config.domain_name
        config = _distribution(template)
        assert config["Aliases"] == [domain]
        (cert_id, cert), = resources(template, "AWS::CertificateManager::Certificate").items()
        assert cert["Properties"]["DomainName"] == domain and cert["Properties"]["ValidationMethod"] == "DNS"
        assert cert["Properties"]["DomainValidationOptions"] == [
            {"DomainName": domain, "HostedZoneId": stack.config.hosted_zone_id}]
        assert list(refs(config["ViewerCertificate"]["AcmCertificateArn"])) == [cert_id]
        assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
        records = [r["Properties"] for r in resources(template, "AWS::Route53::RecordSet").values()]
        assert {(r["Name"], r["Type"]) for r in records if r["Type"] in ("A", "AAAA")} == {
            (f"{domain}.", "A"), (f"{domain}.", "AAAA")}
        for fn in resources(template, "AWS::Lambda::Function").values():
            env = fn["Properties"].get("Environment", {}).get("Variables", {})
            if "PORTAL_URL" in env:
                assert env["PORTAL_URL"] == f"https://{domain}"


def test_the_mail_domains_dns_records_are_output_and_published_in_its_zone(prod: Synth) -> None:
    for stack in prod.stacks:
        template, mail = prod.template(stack), stack.config.mail_domain
        (identity_id, identity), = resources(template, "AWS::SES::EmailIdentity").items()
        bounce = f"bounce.{mail}"
        assert identity["Properties"]["MailFromAttributes"] == {"MailFromDomain": bounce,
                                                                "BehaviorOnMxFailure": "USE_DEFAULT_VALUE"}
        records = [r["Properties"] for r in resources(template, "AWS::Route53::RecordSet").values()
                   if r["Properties"]["Type"] not in ("A", "AAAA")]
        assert all(r["HostedZoneId"] == stack.config.hosted_zone_id for r in records)
        # Easy DKIM: the identity's three tokens as CNAMEs, the names taken whole (not suffixed with the zone)
        dkim = sorted((r for r in records if r["Type"] == "CNAME"), key=lambda r: json.dumps(r["Name"]))
        assert [r["Name"] for r in dkim] == [
            {"Fn::Join": ["", [{"Fn::GetAtt": [identity_id, f"DkimDNSTokenName{i}"]}, "."]]} for i in (1, 2, 3)]
        assert [r["ResourceRecords"] for r in dkim] == [
            [{"Fn::GetAtt": [identity_id, f"DkimDNSTokenValue{i}"]}] for i in (1, 2, 3)]
        (mx,) = [r for r in records if r["Type"] == "MX"]
        (spf,) = [r for r in records if r["Type"] == "TXT"]
        assert mx["Name"] == spf["Name"] == f"{bounce}."
        assert spf["ResourceRecords"] == ['"v=spf1 include:amazonses.com ~all"']
        assert "feedback-smtp." in json.dumps(mx["ResourceRecords"])
        outputs = template["Outputs"]
        assert {"MailDkim1", "MailDkim2", "MailDkim3", "MailFromMx", "MailFromSpf", "MailDmarc"} <= set(outputs)
        # DMARC is the domain owner's policy: output for them to publish, never written into their zone.
        assert outputs["MailDmarc"]["Value"].startswith(f"_dmarc.{mail} TXT \"v=DMARC1; p=quarantine")
        assert "publish it" in outputs["MailDmarc"]["Description"]


def test_without_a_zone_the_mail_records_are_output_only(template: dict) -> None:
    assert not [r for r in resources(template, "AWS::Route53::RecordSet").values()]
    outputs = template["Outputs"]
    for name in ("MailDkim1", "MailDkim2", "MailDkim3", "MailFromMx", "MailFromSpf", "MailDmarc"):
        assert "publish it" in outputs[name]["Description"], name


def _stage(**extra: Any) -> dict[str, Any]:
    return {"mail_sender": "no-reply@x.example.com", "mail_domain": "x.example.com", "log_retention_days": 30,
            "throttling": {"rate_limit": 1, "burst_limit": 1}, **extra}


@pytest.mark.parametrize(("extra", "message"), [
    ({"domain_name": "portal.example.com"}, "needs hosted_zone_id"),
    ({"hosted_zone_id": "Z1", "hosted_zone_name": "example.com"}, "need domain_name"),
    ({"domain_name": "portal.example.com", "hosted_zone_id": "Z1", "hosted_zone_name": "other.com"}, "not in zone"),
    ({"domain_name": "portal.example.com",
      "certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"}, "us-east-1"),
    ({"alarm_email": "nobody"}, "not an email"),
])
def test_domain_settings_that_cannot_work_are_refused(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stages_from_context({"stages": {"qa": _stage(**extra)}})


def test_a_stage_lists_its_plans_each_with_its_own_settings() -> None:
    stages = {"prod": _stage(plans={"cmo": {"mail_sender": "a@cmo.example.com", "mail_domain": "cmo.example.com"},
                                    "cca": {}})}
    configs = stages_from_context({"stages": stages})
    assert [(c.name, c.plan, c.mail_domain) for c in configs] == [
        ("prod", "cmo", "cmo.example.com"), ("prod", "cca", "x.example.com")]
    (only,) = stages_from_context({"stages": stages, "plan": "cmo"})
    assert only.mail_domain == "cmo.example.com"
    assert stages_from_context({"stages": stages, "plan": "caresource-passe"}) == []  # not deployed there
    with pytest.raises(ValueError, match="deploys the plans cmo, cca"):
        stages_from_context({"stages": stages, "stage": "prod", "plan": "caresource-passe"})
    (single,) = stages_from_context({"stages": {"dev": _stage()}, "plan": "caresource-passe"})
    assert (single.plan, single.mail_domain) == ("caresource-passe", "x.example.com")
    assert isinstance(only, StageConfig) and only.prefix == "provider-portal-prod-cmo"


# --- one stack per stage and plan -------------------------------------------------------------------

# Properties whose value is a name AWS requires to be unique in an account (and region).
_NAMED = {
    "AWS::SES::EmailIdentity": "EmailIdentity",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::WAFv2::WebACL": "Name",
    "AWS::CloudFront::Function": "Name",
    "AWS::CloudFront::ResponseHeadersPolicy": ("ResponseHeadersPolicyConfig", "Name"),
    "AWS::CloudFront::OriginAccessControl": ("OriginAccessControlConfig", "Name"),
    "AWS::ApiGateway::RestApi": "Name",
    "AWS::Route53::RecordSet": "Name",
    "AWS::CertificateManager::Certificate": "DomainName",
    "AWS::Backup::BackupVault": "BackupVaultName",
}


def _physical_names(template: dict[str, Any]) -> list[str]:
    names = []
    for resource in template["Resources"].values():
        path = _NAMED.get(resource["Type"])
        if path is None:
            continue
        value: Any = resource.get("Properties", {})
        for key in (path,) if isinstance(path, str) else path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            kind = resource["Type"] + "/" + resource["Properties"].get("Type", "")  # A and AAAA records
            names.append(f"{kind} {json.dumps(value, sort_keys=True)}")
    return names


def test_two_plans_in_one_account_share_no_physical_name(prod: Synth) -> None:
    assert [s.stack_name for s in prod.stacks] == ["ProviderPortal-prod-caresource", "ProviderPortal-prod-cmo"]
    first, second = (_physical_names(prod.template(stack)) for stack in prod.stacks)
    assert first and second
    assert len(set(first)) == len(first) and len(set(second)) == len(second)
    # A name built from one of the stack's own resources (e.g. the API's execution log group, named by
    # the REST API id) differs per stack by construction; every literal name must differ too.
    def literal(names: list[str]) -> set[str]:
        return {n for n in names if '"Ref"' not in n and '"Fn::GetAtt"' not in n}

    assert literal(first) and literal(first).isdisjoint(literal(second)), literal(first) & literal(second)
    for stack in prod.stacks:
        literal = [json.loads(n.split(" ", 1)[1]) for n in _physical_names(prod.template(stack))]
        fixed = [n for n in literal if isinstance(n, str) and not n.endswith(".")  # not DNS names
                 and "@" not in n and "example.com" not in n]
        # every literal name carries stage and plan (the others embed generated ids)
        assert all(f"prod-{stack.config.plan}" in n or f"prod{stack.config.plan}" in n.lower() for n in fixed), fixed


def test_alarm_mail_goes_to_the_address_in_the_context(prod: Synth) -> None:
    for stack in prod.stacks:
        (subscription,) = resources(prod.template(stack), "AWS::SNS::Subscription").values()
        assert subscription["Properties"]["Protocol"] == "email"
        assert subscription["Properties"]["Endpoint"] == stack.config.alarm_email


def test_no_api_gateway_account_role_in_a_per_plan_stack(template: dict) -> None:
    assert not resources(template, "AWS::ApiGateway::Account")
    for role in resources(template, "AWS::IAM::Role").values():
        assert "AmazonAPIGatewayPushToCloudWatchLogs" not in json.dumps(role["Properties"].get("ManagedPolicyArns"))


def test_cfn_lint_is_clean_for_both_plans(prod: Synth) -> None:
    templates = sorted(str(p) for p in Path(prod.outdir).glob("*.template.json"))
    # each plan's stack, its alarms' and its API routes' nested stacks
    assert len(templates) == sum(len(prod.own_templates(stack)) for stack in prod.stacks) == 6
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
         "--ignore-checks", "W3005", "--", *templates],
        capture_output=True, text=True, check=False, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_app_builds_each_selected_plan_once(tmp_path: Path) -> None:
    app = build_app({**NO_BUNDLING, "stage": "prod", "plan": "cmo"}, outdir=str(tmp_path), cfn_validation=False)
    assert [c.node.id for c in app.node.children if isinstance(c, PortalStack)] == ["ProviderPortal-prod-cmo"]
