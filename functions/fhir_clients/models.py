"""Backend clients of a Provider ID (SMART Backend Services): what an administrator registers and sees."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from functions.shared.services.backend_access import SCOPES

Scope = Literal["system/Group.rs", "system/Patient.rs", "system/Coverage.rs", "system/ExplanationOfBenefit.rs"]
assert set(Scope.__args__) == set(SCOPES), "the API's scopes are the served ones"  # type: ignore[attr-defined]


class PublicKey(BaseModel):
    """A public JWK: RSA (for RS384) or EC P-384 (for ES384), named by its `kid`."""

    model_config = ConfigDict(extra="allow")

    kty: Literal["RSA", "EC"]
    kid: str = Field(min_length=1, max_length=128)
    alg: Literal["RS384", "ES384"] | None = None
    n: str | None = Field(default=None, max_length=2048)
    e: str | None = Field(default=None, max_length=16)
    crv: Literal["P-384"] | None = None
    x: str | None = Field(default=None, max_length=128)
    y: str | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def _public_and_whole(self) -> PublicKey:
        extra = self.model_extra or {}
        if any(name in extra for name in ("d", "p", "q", "dp", "dq", "qi", "k")):
            raise ValueError("this is a private key: register only the public key (no d, p, q, ...)")
        if self.kty == "RSA" and not (self.n and self.e):
            raise ValueError("an RSA key needs n and e")
        if self.kty == "EC" and not (self.crv and self.x and self.y):
            raise ValueError("an EC key needs crv P-384, x and y")
        return self


class KeySet(BaseModel):
    keys: list[PublicKey] = Field(min_length=1, max_length=5)

    @field_validator("keys")
    @classmethod
    def _distinct_kids(cls, keys: list[PublicKey]) -> list[PublicKey]:
        if len({k.kid for k in keys}) != len(keys):
            raise ValueError("each key needs its own kid")
        return keys


class RegisterClient(BaseModel):
    """Give the client's public keys inline (`jwks`) or where it publishes them (`jwks_url`, https)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, description="What the office calls this system")
    jwks_url: HttpUrl | None = Field(default=None, description="Where the client publishes its JWK Set (https)")
    jwks: KeySet | None = Field(default=None, description="The client's public keys (JWK Set)")
    scopes: list[Scope] = Field(default_factory=lambda: list(SCOPES), min_length=1, max_length=4)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("Give the client a name.")
        return value

    @model_validator(mode="after")
    def _one_key_source(self) -> RegisterClient:
        if (self.jwks_url is None) == (self.jwks is None):
            raise ValueError("Give either jwks_url or jwks, not both.")
        return self


class ClientView(BaseModel):
    client_id: str
    name: str
    scopes: list[str]
    jwks_url: str | None
    key_ids: list[str]
    status: Literal["active", "revoked"]
    created_at: datetime
    revoked_at: datetime | None = None


class ClientList(BaseModel):
    provider_id: str
    fhir_base: str = Field(description="The FHIR API's base URL")
    token_url: str = Field(description="Where the client asks for access tokens (SMART Backend Services)")
    clients: list[ClientView]


class ProviderAccessChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opted_out: bool = Field(description="True: the member's data is not shared through the Provider Access API")


def key_ids(jwks: dict[str, Any] | None) -> list[str]:
    return [str(k.get("kid")) for k in (jwks or {}).get("keys", [])]
