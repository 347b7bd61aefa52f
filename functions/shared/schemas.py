"""Field types several steps share, so every form validates an email or a name the same way."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field


def normalise_email(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


Email = Annotated[EmailStr, BeforeValidator(normalise_email), Field(max_length=254)]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class Message(BaseModel):
    """A plain acknowledgement: what happened and what the user does next."""

    model_config = ConfigDict(frozen=True)

    message: str
