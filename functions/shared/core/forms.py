"""Request forms whose rules across fields are checked in the same round as each field's own.

Pydantic checks a model's own rules (a model validator) only once every field has passed, so a person
who leaves a whole form empty is told about the fields first and about "member ID, or last and first
name" after correcting them. A `Form` states those rules in `form_errors`, which also runs when some
fields fail, on what was sent; its errors join the fields' own in one 422 (functions/shared/core/http.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ModelWrapValidatorHandler, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from functions.shared.core.errors import FieldError

# Marks an error a form rule stated in its own words (http.py keeps them rather than the generic wording).
STATED = "stated"


class Form(BaseModel):
    # True: when every field passes, the step applies `form_errors` itself, where its rules need more than
    # the form (registration spends its CAPTCHA first; a reset knows the account's words only then).
    form_rules_in_step: ClassVar[bool] = False

    @classmethod
    def form_errors(cls, given: Mapping[str, Any]) -> list[FieldError]:
        """The errors of the rules across fields (one required with another, two that must agree, the plan's
        own). `given` holds each field sent with a value: validated when every field passed, else as sent
        (so a rule looks at presence, or checks the type of what it compares)."""
        return []

    @model_validator(mode="wrap")
    @classmethod
    def _whole_form(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        try:
            form = handler(data)
        except ValidationError as exc:
            if not isinstance(data, Mapping):
                raise
            failed = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            more = [e for e in cls._rules(given_values(data)) if e.field.split(".")[0] not in failed]
            if not more:
                raise
            raise _validation_error(exc.title, [_again(error) for error in exc.errors()] + _details(more)) from None
        if not cls.form_rules_in_step:
            errors = cls._rules(given_values(dict(form)))
            if errors:
                raise _validation_error(cls.__name__, _details(errors))
        return form


    @classmethod
    def _rules(cls, given: dict[str, Any]) -> list[FieldError]:
        try:
            return cls.form_errors(given)
        except ValueError as exc:  # pydantic would take it (a settings ValidationError too) for a field's error
            raise RuntimeError(f"the rules of {cls.__name__} failed") from exc


def given_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `values` that carry something: not absent, null, empty text or an empty list."""
    return {str(name): value for name, value in values.items()
            if value is not None and not (isinstance(value, str | list | tuple | dict) and not value)}


def _details(errors: list[FieldError]) -> list[InitErrorDetails]:
    return [{"type": PydanticCustomError(e.code, e.message, {STATED: True}),
             "loc": tuple(int(part) if part.isdigit() else part for part in e.field.split(".")),
             "input": None} for e in errors]


def _again(error: Any) -> InitErrorDetails:
    """A field's own error, as it was (type, words and context), to raise again beside the form's."""
    return {"type": PydanticCustomError(error["type"], error["msg"], error.get("ctx")), "loc": error["loc"],
            "input": error["input"]}


def _validation_error(title: str, details: list[InitErrorDetails]) -> ValidationError:
    return ValidationError.from_exception_data(title, details)
