"""Field types several steps share, so every form validates an email or a name the same way."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from functions.shared.core.forms import Form
from functions.shared.core.ids import ActingFor, MemberId, ProviderId
from functions.shared.core.plans import PasswordPolicy

__all__ = ["ActingFor", "MemberId", "ProviderId"]  # the identifiers (functions/shared/core/ids.py), for the forms


def normalise_email(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def valid_email(value: str) -> str:
    """Syntax check by email-validator, imported on first use: it costs ~25 ms at cold start."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValueError("Enter a valid email address, such as name@practice.com.") from None


Email = Annotated[str, BeforeValidator(normalise_email), Field(max_length=254, json_schema_extra={"format": "email"}),
                  AfterValidator(valid_email)]
def _no_control(value: str) -> str:
    """Refuse NUL, control, bidirectional-override and other invisible format characters: they hide
    or reorder what a person reads (in a factor label, a mail, a page)."""
    if any(unicodedata.category(c) in _HIDDEN or c in "\u2028\u2029" for c in value):
        raise ValueError("Remove control or invisible formatting characters.")
    return value


def _person_name(value: str) -> str:
    """Letters (any script) with their marks, and spaces, apostrophes, hyphens and periods between them."""
    if not all(unicodedata.category(c)[0] in "LM" or c in _NAME_PUNCTUATION for c in value) \
            or not any(unicodedata.category(c)[0] == "L" for c in value):
        raise ValueError("Use letters, spaces, apostrophes ('), hyphens (-) and periods (.) only.")
    return value


_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_NAME_PUNCTUATION = frozenset(" '\u2019-.")
Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_person_name)]
PersonName = AfterValidator(_person_name)  # the rule of `Name`, for fields with other lengths
# Free text a person types that others see (a group's name, a device's name): anything printable.
PlainText = AfterValidator(_no_control)


ICD10CM_PATTERN = r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$"


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def icd10cm_dotted(code: str) -> str:
    """An ICD-10-CM code (upper case, matching ICD10CM_PATTERN) in its dotted form, as the code files print
    it and people search for it: J189 is J18.9; a category of three characters has no dot."""
    return code if "." in code or len(code) <= 3 else f"{code[:3]}.{code[3:]}"


# ICD-10-CM, as the CMS code files define it: a letter (every chapter, U07.1 and U09.9 included), a digit,
# a digit or letter, then up to four more after an optional dot (e.g. J18.9, I21.A1, Z3A.01, T36.0X1A);
# kept dotted whichever way it was typed. The before-validator hides the pattern from the JSON schema: the
# contract states what passes (any letter case, surrounding spaces) itself.
Icd10Cm = Annotated[str, BeforeValidator(_upper), Field(
    pattern=ICD10CM_PATTERN, description="ICD-10-CM diagnosis code, e.g. J18.9 (J189 is taken as J18.9)",
    json_schema_extra={"pattern": r"^ *[A-Za-z][0-9][0-9A-Za-z](\.?[0-9A-Za-z]{1,4})? *$"}),
    AfterValidator(icd10cm_dotted)]
# CPT (5 digits, or 4 and F/T/U) or HCPCS Level II (a letter and 4 digits).
ProcedureCode = Annotated[str, BeforeValidator(_upper), Field(
    pattern=r"^([0-9]{4}[0-9FTU]|[A-V][0-9]{4})$", description="CPT or HCPCS code, e.g. 99214 or E0601",
    json_schema_extra={"pattern": r"^ *([0-9]{4}[0-9FTUftu]|[A-Va-v][0-9]{4}) *$"})]


class ForMember(Form):
    """A request about one member, by a provider the caller acts for: the member's exact identity (the member
    ID and date of birth on the card) comes with it (prior authorizations, admission notices)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    acting_for: ActingFor
    member_id: MemberId
    birth_date: date


class Message(BaseModel):
    """A plain acknowledgement: what happened and what the user does next."""

    model_config = ConfigDict(frozen=True)

    message: str


_POLICY = PasswordPolicy()
# A new password. The plan's policy (functions/shared/services/security/passwords.py) checks it after NFKC
# normalisation and answers each broken rule as a field error; the contract states the default policy.
NewPassword = Annotated[str, Field(
    max_length=1024,
    description=f"{_POLICY.min_length} to {_POLICY.max_length} characters (after Unicode NFKC normalisation) "
                "with a lower-case and a capital letter, a number and a special character (anything but a "
                "letter or digit, a space counts); not a commonly used password, and not containing the "
                "email address, the part before its @, or the user name.",
    json_schema_extra={"minLength": _POLICY.min_length, "maxLength": _POLICY.max_length})]
