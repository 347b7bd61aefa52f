"""Request schemas of the self-service password reset."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.core.schemas import Email, NewPassword


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email


class ResetCompletion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    password: NewPassword
