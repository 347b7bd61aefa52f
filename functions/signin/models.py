"""Request schemas of signing in and out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SignInRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    login: str = Field(min_length=1, max_length=254, description="User name or email address")
    password: str = Field(min_length=1, max_length=1024)
    verification_code: str | None = Field(default=None, pattern=r"^\d{6}$",
                                          description="The mailed code, at the first sign-in (some plans)")
