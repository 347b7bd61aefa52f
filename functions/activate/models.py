"""Request and response schemas of account activation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.core.schemas import Email
from functions.shared.core.states import AccountState


class ActivationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    token: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$",
                       description="The secret from the activation link")


class ActivationResult(BaseModel):
    state: AccountState
    message: str
    next: str = Field(description="Where the user goes next")


class ResendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email


class ResendAccepted(BaseModel):
    message: str
