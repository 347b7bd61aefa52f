"""Backend clients of a Provider ID (SMART Backend Services): what an administrator registers and sees."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from functions.shared.services.backend_access import PROVIDER_ACCESS_SCOPES, SCOPES

Scope = Literal["system/Group.rs", "system/Patient.rs", "system/Coverage.rs", "system/ExplanationOfBenefit.rs",
                "system/ClaimResponse.rs", "system/Claim.c"]
assert set(Scope.__args__) == set(SCOPES), "the API's scopes are the served ones"  # type: ignore[attr-defined]


_B64 = r"^[A-Za-z0-9_-]+$"


class _Jwk(BaseModel):
    # Public members only (RFC 7517/7518): a private key's d, p, q, ... is refused by the schema itself.
    model_config = ConfigDict(extra="forbid")

    kid: str = Field(min_length=1, max_length=128)
    use: Literal["sig"] | None = None
    key_ops: list[Literal["verify"]] | None = Field(default=None, max_length=1)
    x5c: list[str] | None = Field(default=None, max_length=5)
    x5t: str | None = Field(default=None, max_length=128)


class RsaKey(_Jwk):
    """An RSA public key (for RS384)."""

    kty: Literal["RSA"]
    alg: Literal["RS384"] | None = None
    n: str = Field(min_length=1, max_length=2048, pattern=_B64)
    e: str = Field(min_length=1, max_length=16, pattern=_B64)


class EcKey(_Jwk):
    """An EC P-384 public key (for ES384)."""

    kty: Literal["EC"]
    alg: Literal["ES384"] | None = None
    crv: Literal["P-384"]
    x: str = Field(min_length=1, max_length=128, pattern=_B64)
    y: str = Field(min_length=1, max_length=128, pattern=_B64)


PublicKey = Annotated[RsaKey | EcKey, Field(discriminator="kty")]


class KeySet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[PublicKey] = Field(min_length=1, max_length=5, description="Each key with its own kid")


# https on a host name (no address literal: the token endpoint fetches it), or http on this machine for
# the local stage's walk-through (refused on deployed stages).
JWKS_URL_PATTERN = (r"^(https://[A-Za-z0-9.-]*[A-Za-z][A-Za-z0-9.-]*(:[0-9]{1,5})?"
                    r"|http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?)(/[^\s]*)?$")
Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"\S", description="What the office calls it")]
Scopes = Annotated[list[Scope], Field(min_length=1, max_length=6)]


class _Register(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    scopes: Scopes = Field(default_factory=lambda: list(PROVIDER_ACCESS_SCOPES),
                           description="Default: Provider Access (members, coverage, claims); prior authorization "
                                       "(system/ClaimResponse.rs, system/Claim.c) only when ticked")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return " ".join(value.split())


class RegisterByUrl(_Register):
    """The client publishes its JWK Set at an https address."""

    jwks_url: str = Field(max_length=2048, pattern=JWKS_URL_PATTERN)


class RegisterByKeys(_Register):
    """The client's public keys, given here."""

    jwks: KeySet


RegisterClient = RegisterByUrl | RegisterByKeys


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
