"""Request schemas of the self-service password reset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.core.errors import FieldError
from functions.shared.core.forms import Form
from functions.shared.core.plans import PasswordPolicy, current_plan
from functions.shared.core.schemas import Email, NewPassword
from functions.shared.services.security.passwords import policy_errors

FIELD_MESSAGES = {"confirm_password": {"missing": "Type the new password again."}}
PASSWORDS_DIFFER = "The two passwords do not match."


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email


class ResetCompletion(Form):
    model_config = ConfigDict(extra="forbid")
    form_rules_in_step = True  # the password policy also needs the account's words, known once the link is

    token: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    password: NewPassword
    confirm_password: str = Field(max_length=1024, description="The new password again, as typed")

    @classmethod
    def form_errors(cls, given: Mapping[str, Any]) -> list[FieldError]:
        # Before the link is read: the plan's policy without the account's own words.
        return reset_errors(given, current_plan().password_policy)


def reset_errors(given: Mapping[str, Any], policy: PasswordPolicy, *, email: str = "", username: str | None = None,
                 context: frozenset[str] = frozenset()) -> list[FieldError]:
    """The new password's rules: typed the same twice, and the plan's policy (with the account's words)."""
    # A password sent empty is checked as such; one that is absent has its own "required" error.
    password, confirmation = given.get("password", ""), given.get("confirm_password")
    if not isinstance(password, str):
        return []
    errors = policy_errors(password, policy, email=email, username=username, context=context)
    if "confirm_password" in given and confirmation != password:
        errors.append(FieldError("confirm_password", PASSWORDS_DIFFER, "mismatch"))
    elif "confirm_password" not in given:
        errors.append(FieldError("confirm_password", "Type the new password again.", "missing"))
    return errors
