"""The environment model every function reads once (never at import time)."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Environment variables set by infra/constructs/functions.py and the devserver.

    The required fields go to every function; each optional one carries a resource of
    infra/capabilities.py and is set only on the functions whose capabilities reach that resource.
    """

    model_config = ConfigDict(frozen=True)

    stage: str = Field(alias="STAGE")
    plan: str = Field(alias="PLAN")
    portal_url: str = Field(alias="PORTAL_URL", description="Public base URL of the web pages.")
    mail_sender: str = Field(alias="MAIL_SENDER")
    tables: dict[str, str] = Field(
        default_factory=dict,
        description="Logical table name -> real name, from every <LOGICAL>_TABLE variable (store/models.py).")
    mail_queue_url: str | None = Field(default=None, alias="MAIL_QUEUE_URL",
                                       description="The queue send_mail puts mail on (functions/mail_sender).")
    captcha_secret_name: str | None = Field(default=None, alias="CAPTCHA_SECRET_NAME")
    cursor_secret_name: str | None = Field(default=None, alias="CURSOR_SECRET_NAME",
                                           description="HMAC key of paging cursors (functions/shared/core/paging.py)")
    mfa_key_id: str | None = Field(default=None, alias="MFA_KEY_ID", description="KMS key for TOTP seeds")
    push_platform_arn: str | None = Field(default=None, alias="PUSH_PLATFORM_ARN")
    access_workflow_arn: str | None = Field(default=None, alias="ACCESS_WORKFLOW_ARN")
    authorization_clock_arn: str | None = Field(default=None, alias="AUTHORIZATION_CLOCK_ARN")
    provider_export_arn: str | None = Field(default=None, alias="PROVIDER_EXPORT_ARN")
    portal_data_import_arn: str | None = Field(default=None, alias="PORTAL_DATA_IMPORT_ARN")
    roster_bucket: str | None = Field(default=None, alias="ROSTER_BUCKET")
    portal_data_bucket: str | None = Field(default=None, alias="PORTAL_DATA_BUCKET")
    audit_archive_bucket: str | None = Field(default=None, alias="AUDIT_ARCHIVE_BUCKET",
                                             description="S3 Object Lock bucket the audit stream is archived to")
    partial_session_routes: str = Field(
        default="", alias="PARTIAL_SESSION_ROUTES",
        description="Comma-separated 'METHOD /path' routes a session that has not passed MFA may use.")
    trust_viewer_address_header: bool = Field(
        default=False, alias="TRUST_VIEWER_ADDRESS_HEADER",
        description="Take the client address from CloudFront-Viewer-Address (set by infra on the functions "
                    "behind the distribution, whose regional web ACL refuses requests that bypass it); "
                    "otherwise API Gateway's sourceIp.")
    region: str = Field(default="us-east-1", alias="AWS_REGION")

    def table_name(self, logical: str) -> str | None:
        return self.tables.get(logical)


@cache
def settings() -> Settings:
    env = dict(os.environ)
    tables = {name.removesuffix("_TABLE").lower(): value for name, value in env.items() if name.endswith("_TABLE")}
    return Settings.model_validate({**env, "tables": tables})
