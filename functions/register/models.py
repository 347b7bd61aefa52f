"""Request and response schemas of registration."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from functions.shared.core.schemas import Email, Name, NewPassword, PlainText

# A US number: 10 digits (an optional leading 1), with spaces, dots, dashes, parentheses or a plus
# anywhere. ASCII only, and stated as the field's pattern so the contract says exactly what passes.
_SEPARATORS = r"[ ().+-]"
PHONE_PATTERN = rf"^{_SEPARATORS}*(?:1{_SEPARATORS}*)?(?:[0-9]{_SEPARATORS}*){{10}}$"
_PHONE_DIGITS = re.compile(r"^1?([0-9]{10})$")


_PHONE_MESSAGE = "Enter a 10-digit US number, such as 555-123-4567."
# This step's wording for its fields' validation errors (functions/shared/core/http.py FieldMessages).
FIELD_MESSAGES = {field: {"string_pattern_mismatch": _PHONE_MESSAGE} for field in ("telephone", "fax")}


def _phone(value: str) -> str:
    digits = re.sub(_SEPARATORS, "", value)
    match = _PHONE_DIGITS.match(digits)
    if not match:
        raise ValueError(_PHONE_MESSAGE)
    number = match.group(1)
    return f"{number[:3]}-{number[3:6]}-{number[6:]}"


Phone = Annotated[str, Field(max_length=32, pattern=PHONE_PATTERN,
                             description="A 10-digit US number, such as 555-123-4567"), AfterValidator(_phone)]
Username = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
                                description="Letters, numbers, dot, dash and underscore.")]


class RegistrationRequest(BaseModel):
    """Sign-up form. Plans with the extended form (cmo) also require `username`, `display_name`,
    `confirm_password` (equal to `password`), `group_name`, `telephone`, `fax` and a solved `captcha`
    (GET /captcha); other plans refuse none of them but ignore them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email
    password: NewPassword
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
