"""The portal's identifiers, normalised once where they come in (a request, an extract) so that the store's
keys are built from one spelling: trimmed and upper-case. A claim number or member ID typed in lower case,
or sent so by a payer's system, is the same record."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field


def normal_id(value: str) -> str:
    return value.strip().upper()


def _normal(value: Any) -> Any:
    # Upper-case only: the models strip spaces themselves where the contract allows them.
    return value.upper() if isinstance(value, str) else value


def _id(pattern: str, **constraints: Any) -> Any:
    """An identifier's field: the before-validator hides the pattern from the JSON schema, so it is stated."""
    return Field(pattern=pattern, json_schema_extra={"pattern": pattern}, **constraints)


_ID = r"^[A-Za-z0-9-]+$"
MemberId = Annotated[str, BeforeValidator(_normal),
                     _id(_ID, min_length=3, max_length=20, description="The member ID on the member's card")]
ActingFor = Annotated[str, BeforeValidator(_normal), _id(
    _ID, min_length=3, max_length=20, description="The Provider ID you act for (one of your active links)")]
ProviderId = Annotated[str, BeforeValidator(_normal), _id(_ID, min_length=3, max_length=20)]
ClaimNumber = Annotated[str, BeforeValidator(_normal), _id(
    _ID, min_length=3, max_length=30, description="The claim number on the remittance advice")]
AuthorizationNumber = Annotated[str, BeforeValidator(_normal),
                                _id(r"^[Pp][Aa]-[0-9A-Za-z]{10}$", description="The request's number")]
AdmissionNumber = Annotated[str, BeforeValidator(_normal),
                            _id(r"^[Aa][Dd][Mm]-[0-9A-Za-z]{10}$", description="The notification's number")]
