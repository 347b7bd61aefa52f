"""Request schemas of signing in and out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# This step's wording for its fields' validation errors (functions/shared/core/http.py FieldMessages).
FIELD_MESSAGES = {"verification_code": {"string_pattern_mismatch": "Enter the 6 digits of the code."}}


class SignInRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    login: str = Field(min_length=1, max_length=254,
                       description="User name or email address; on plans that sign in by user name only "
                                   "(cmo), the user name (an email address then fails like a wrong password)")
    password: str = Field(min_length=1, max_length=1024)
    verification_code: str | None = Field(
        default=None, pattern=r"^\d{6}$",
        description="The code mailed at registration: required at the first sign-in on plans that verify "
                    "the email with a code (cmo)")
    captcha: str | None = Field(default=None, max_length=4096,
                                description="ALTCHA solution, when an answer asked for one (captcha-required)")
