"""Request and response schemas of registration."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from functions.shared.core.errors import FieldError
from functions.shared.core.forms import Form
from functions.shared.core.plans import PlanProfile, current_plan
from functions.shared.core.schemas import Email, Name, NewPassword, PlainText
from functions.shared.services.security.passwords import context_words, policy_errors

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


# What the extended form (cmo) also asks, each said as what to do.
EXTENDED_FIELDS = {
    "username": "Choose a user name.",
    "display_name": "Enter the name others see (your display name).",
    "confirm_password": "Type the password again.",
    "group_name": "Enter the group or practice name.",
    "telephone": "Enter the office telephone number.",
    "fax": "Enter the office fax number.",
    "captcha": "Solve the security code.",
}
PASSWORDS_DIFFER = "The two passwords do not match."


class RegistrationRequest(Form):
    """Sign-up form. Plans with the extended form (cmo) also require `username`, `display_name`,
    `confirm_password` (equal to `password`), `group_name`, `telephone`, `fax` and a solved `captcha`
    (GET /captcha); other plans refuse none of them but ignore them. The plan's rules (those fields, the
    password policy) are answered with the fields' own errors, in one answer."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    form_rules_in_step = True  # a form whose fields pass spends its CAPTCHA before the plan's rules answer

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

    @classmethod
    def form_errors(cls, given: Mapping[str, Any]) -> list[FieldError]:
        return registration_errors(given, current_plan())


def registration_errors(given: Mapping[str, Any], plan: PlanProfile) -> list[FieldError]:
    """The plan's rules of the form: the extended form's fields and matching passwords, the password policy."""
    errors: list[FieldError] = []
    # A password sent empty is checked as such; one that is absent has its own "required" error.
    sent = given.get("password", "")
    password = sent.strip() if isinstance(sent, str) else None
    if plan.registration_form == "cmo":
        errors += [FieldError(name, message, "missing") for name, message in EXTENDED_FIELDS.items()
                   if name not in given]
        confirmation = _text(given, "confirm_password")
        if password is not None and confirmation is not None and confirmation != password:
            errors.append(FieldError("confirm_password", PASSWORDS_DIFFER, "mismatch"))
    if password is not None:
        errors += policy_errors(password, plan.password_policy, email=_text(given, "email") or "",
                                username=_text(given, "username"),
                                context=context_words(plan, *(_text(given, name) for name in
                                                              ("first_name", "last_name", "display_name"))))
    return errors


def _text(given: Mapping[str, Any], name: str) -> str | None:
    """A text field as the model keeps it (trimmed); None when absent or not text."""
    value = given.get(name)
    return value.strip() or None if isinstance(value, str) else None


class RegistrationAccepted(BaseModel):
    message: str
    email: str


class CaptchaChallenge(BaseModel):
    algorithm: str
    challenge: str
    maxnumber: int
    salt: str
    signature: str
