"""Request and response schemas of registration."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from functions.shared.schemas import Email, Name, PlainText

_PHONE_DIGITS = re.compile(r"^1?(\d{10})$")


def _phone(value: str) -> str:
    digits = re.sub(r"[\s().+-]", "", value)
    match = _PHONE_DIGITS.match(digits)
    if not match:
        raise ValueError("Enter a 10-digit US number, such as 555-123-4567.")
    number = match.group(1)
    return f"{number[:3]}-{number[3:6]}-{number[6:]}"


Phone = Annotated[str, Field(max_length=32), AfterValidator(_phone)]
Username = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
                                description="Letters, numbers, dot, dash and underscore.")]


class RegistrationRequest(BaseModel):
    """Sign-up form. Fields after `last_name` are asked only by plans with the extended form."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email
    password: str = Field(max_length=1024)
    first_name: Name
    last_name: Name
    username: Username | None = None
    display_name: Name | None = None
    confirm_password: str | None = Field(default=None, max_length=1024)
    group_name: Annotated[str, Field(min_length=1, max_length=200), PlainText] | None = None
    telephone: Phone | None = None
    fax: Phone | None = None
    captcha: str | None = Field(default=None, max_length=4096, description="ALTCHA solution payload")


class RegistrationAccepted(BaseModel):
    message: str
    email: str


class CaptchaChallenge(BaseModel):
    algorithm: str
    challenge: str
    maxnumber: int
    salt: str
    signature: str
