"""Stage configuration: the one definition of every deployment stage, read from the CDK context.

cdk.json's `stages` context maps a stage name to its settings; `-c stage=<name>` picks one stage
(default: all) and `-c plan=<key>` overrides the plan profile of the selected stages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from functions.shared.plans import DEFAULT_PLAN, PLANS

# The retention periods CloudWatch Logs accepts, in days.
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
_EMAIL = re.compile(r"^[^@\s]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{1,15}$")
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
    portal_url: str = Field(description="Public https base URL of the web pages.")
    mail_sender: str = Field(description="From address of every mail; must be in mail_domain.")
    mail_domain: str = Field(description="SES domain identity that signs (DKIM) the portal's mail.")
    log_retention_days: int
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    throttling: Throttling
    waf_requests_per_5_min_per_ip: int = Field(default=500, ge=10)
    removal_policy: Literal["retain", "destroy"] = "destroy"
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

    @field_validator("portal_url")
    @classmethod
    def _portal_url(cls, value: str) -> str:
        if not re.match(r"^https://[^/\s]+(/\S*)?$", value):
            raise ValueError(f"portal_url {value!r} must be an https URL")
        return value.rstrip("/")

    @field_validator("mail_domain")
    @classmethod
    def _mail_domain(cls, value: str) -> str:
        if not _DOMAIN.match(value):
            raise ValueError(f"mail_domain {value!r} is not a lower-case domain name")
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
        return self

    @property
    def retain(self) -> bool:
        """Production data survives stack deletion and cannot be deleted by accident."""
        return self.removal_policy == "retain"

    @property
    def stack_name(self) -> str:
        return f"ProviderPortal-{self.name}-{self.plan}"


def stages_from_context(context: Mapping[str, Any]) -> list[StageConfig]:
    """The stages to synthesize: all of `stages`, or the one named by `stage`, with `plan` applied."""
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
        values = {**settings, "name": name}
        if plan is not None:
            values["plan"] = plan
        stages.append(StageConfig.model_validate(values))
    return stages
