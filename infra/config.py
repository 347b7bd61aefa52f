"""Stage configuration: the one definition of every deployment stage, read from the CDK context.

cdk.json's `stages` context maps a stage name to its settings; `-c stage=<name>` picks one stage
(default: all) and `-c plan=<key>` overrides the plan profile of the selected stages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from functions.shared.core.plans import DEFAULT_PLAN, PLANS

# The retention periods CloudWatch Logs accepts, in days.
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
_EMAIL = re.compile(r"^[^@\s]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{1,15}$")
_US_EAST_1_CERTIFICATE = re.compile(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]+$")
_PLATFORM_APP_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:app/[A-Z_]+/[A-Za-z0-9_.-]+$")


class Throttling(BaseModel):
    """API Gateway stage throttling: steady-state requests per second and the burst bucket."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate_limit: float = Field(gt=0)
    burst_limit: int = Field(gt=0)


class StageConfig(BaseModel):
    """One deployment stage (dev, staging, prod) of one plan profile."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    plan: str = DEFAULT_PLAN
    domain_name: str | None = Field(
        default=None,
        description="Custom domain of the pages and API (CloudFront alias). Without it the stack serves "
        "the distribution's own *.cloudfront.net name, and the links in mails use that.",
    )
    hosted_zone_id: str | None = Field(
        default=None, description="Route 53 public zone of domain_name: the stack adds the alias records and "
        "validates the certificate in it. Without it, certificate_arn is required (DNS kept elsewhere)."
    )
    hosted_zone_name: str | None = None
    certificate_arn: str | None = Field(
        default=None, description="An existing ACM certificate in us-east-1 for domain_name (else one is "
        "created and DNS-validated in hosted_zone_id)."
    )
    alarm_email: str | None = Field(default=None, description="Subscribed to the alarm topic (confirm the mail).")
    sms_monthly_spend_limit_usd: float = Field(
        default=1.0, gt=0, description="The account's SNS SMS monthly spend limit (AWS's default is $1; raise it "
        "with AWS Support before go-live); an alarm fires at 80 % of it."
    )
    account_takeover_protection: bool = Field(
        default=False, description="AWS WAF Fraud Control account takeover prevention on POST /api/sessions "
        "(charged per 1,000 sign-in attempts analysed, plus a monthly fee)."
    )
    mail_sender: str = Field(description="From address of every mail; must be in mail_domain.")
    mail_domain: str = Field(description="SES domain identity that signs (DKIM) the portal's mail.")
    log_retention_days: int
    access_log_retention_days: int | None = Field(
        default=None, ge=1, description="Days the CloudFront and S3 access logs are kept (they hold record "
        "numbers: PHI); default log_retention_days.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    throttling: Throttling
    waf_requests_per_5_min_per_ip: int = Field(default=500, ge=10)
    removal_policy: Literal["retain", "destroy"] = "destroy"
    reserve_concurrency: bool = Field(
        default=True, description="Reserve each function's concurrency (infra/constructs/functions.py "
        "reserved_concurrency). Off for an account whose Lambda concurrency quota is too small to reserve any "
        "(new accounts may have 10, and AWS keeps 100 unreserved)."
    )
    lambda_concurrency_quota: int = Field(
        default=1000, ge=10, description="The account's Lambda concurrent-executions quota (AWS's default is "
        "1,000; raise it with a Service Quotas request). The functions of every plan the stage deploys in the "
        "account reserve at most this less the 100 AWS keeps unreserved."
    )
    push_platform_arn: str | None = Field(
        default=None,
        description="SNS platform application (APNs/FCM) for push MFA; created outside the stack because "
        "it holds the vendor's credentials. Without it, push is not offered in this stage.",
    )
    account: str | None = None
    region: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _STAGE_NAME.match(value):
            raise ValueError(f"stage name {value!r} must be lower-case letters, digits and '-'")
        return value

    @field_validator("plan")
    @classmethod
    def _plan(cls, value: str) -> str:
        if value not in PLANS:
            raise ValueError(f"unknown plan profile {value!r}; known: {', '.join(sorted(PLANS))}")
        return value

    @field_validator("mail_domain", "domain_name", "hosted_zone_name")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not _DOMAIN.match(value):
            raise ValueError(f"{value!r} is not a lower-case domain name")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is not None and not _US_EAST_1_CERTIFICATE.match(value):
            raise ValueError(f"certificate_arn {value!r} must be an ACM certificate in us-east-1 (CloudFront)")
        return value

    @field_validator("alarm_email")
    @classmethod
    def _alarm_email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"alarm_email {value!r} is not an email address")
        return value

    @field_validator("push_platform_arn")
    @classmethod
    def _push_platform_arn(cls, value: str | None) -> str | None:
        if value is not None and not _PLATFORM_APP_ARN.match(value):
            raise ValueError(f"push_platform_arn {value!r} is not an SNS platform application ARN")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"log_retention_days {value} is not one of {sorted(LOG_RETENTION_DAYS)}")
        return value

    @model_validator(mode="after")
    def _sender_in_domain(self) -> StageConfig:
        match = _EMAIL.match(self.mail_sender)
        if not match or match.group(1).lower() != self.mail_domain:
            raise ValueError(f"mail_sender {self.mail_sender!r} must be an address in {self.mail_domain}")
        if self.domain_name is None and (self.hosted_zone_id or self.hosted_zone_name or self.certificate_arn):
            raise ValueError("hosted_zone_id, hosted_zone_name and certificate_arn need domain_name")
        if self.domain_name is not None:
            if bool(self.hosted_zone_id) != bool(self.hosted_zone_name):
                raise ValueError("hosted_zone_id and hosted_zone_name go together")
            if not self.hosted_zone_id and not self.certificate_arn:
                raise ValueError(f"domain_name {self.domain_name!r} needs hosted_zone_id/hosted_zone_name "
                                 "(certificate validated there) or certificate_arn")
            if self.hosted_zone_name and not (self.domain_name == self.hosted_zone_name
                                              or self.domain_name.endswith("." + self.hosted_zone_name)):
                raise ValueError(f"domain_name {self.domain_name!r} is not in zone {self.hosted_zone_name!r}")
        return self

    @property
    def custom_url(self) -> str | None:
        """https://<domain_name>, or None when the stack serves CloudFront's own domain name."""
        return f"https://{self.domain_name}" if self.domain_name else None

    @property
    def access_log_days(self) -> int:
        return self.access_log_retention_days or self.log_retention_days

    @property
    def prefix(self) -> str:
        """Stage and plan in every name that must be unique in an account or region."""
        return f"provider-portal-{self.name}-{self.plan}"

    @property
    def retain(self) -> bool:
        """Production data survives stack deletion and cannot be deleted by accident."""
        return self.removal_policy == "retain"

    @property
    def stack_name(self) -> str:
        return f"ProviderPortal-{self.name}-{self.plan}"


def stages_from_context(context: Mapping[str, Any]) -> list[StageConfig]:
    """The stacks to synthesize: one per stage and plan.

    A stage's settings apply to every plan; its optional `plans` map names the plans deployed in that
    stage, each with its own settings on top (mail domain, custom domain, ...). Without `plans`, the
    stage deploys its `plan` (default caresource). `-c stage=<name>` selects one stage and
    `-c plan=<key>` one plan (its entry under `plans`; a stage whose `plans` lack it is skipped, or refused
    when selected by name).
    """
    raw = context.get("stages")
    if not isinstance(raw, Mapping) or not raw:
        raise ValueError("CDK context 'stages' is missing or empty (see cdk.json)")
    selected = context.get("stage")
    if selected is not None and selected not in raw:
        raise ValueError(f"unknown stage {selected!r}; known: {', '.join(raw)}")
    plan = context.get("plan")
    stages = []
    for name, settings in raw.items():
        if selected is not None and name != selected:
            continue
        common = {key: value for key, value in settings.items() if key != "plans"}
        per_plan: Mapping[str, Mapping[str, Any]] = settings.get("plans") or {}
        if plan is not None and per_plan and plan not in per_plan:
            if selected is None:
                continue  # `-c plan=x` alone: the stages that may deploy x
            raise ValueError(f"stage {name!r} deploys the plans {', '.join(per_plan)}; add {plan!r} under its "
                             "'plans' (with its own mail_domain) to deploy it there")
        if plan is not None:
            chosen = {plan: per_plan.get(plan, {})}
        elif per_plan:
            chosen = dict(per_plan)
        else:
            chosen = {common.get("plan", DEFAULT_PLAN): {}}
        for key, own in chosen.items():
            stages.append(StageConfig.model_validate({**common, **own, "name": name, "plan": key}))
    return stages
