"""Phone numbers: validated and stored in E.164 with the maintained libphonenumber rules."""

from __future__ import annotations

from functions.shared.core.errors import FieldError, invalid_fields

DEFAULT_REGION = "US"


def to_e164(raw: str, field: str = "phone") -> str:
    import phonenumbers  # deferred: its metadata is large and only a few steps need it

    problem = invalid_fields([FieldError(field, "Enter a valid mobile number, such as (614) 555-0123.",
                                         "phone")])
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise problem from None
    if not phonenumbers.is_valid_number(number):
        raise problem
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
