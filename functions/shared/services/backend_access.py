"""SMART Backend Services access for providers' systems: the scopes a client may hold, the access tokens
the token endpoint issues, and the check every FHIR route makes of the bearer token it is given.

An access token is 32 random bytes, stored only as its SHA-256, valid for five minutes, bound to its
client and to the Provider ID that registered the client. Each request re-reads the client, so a
revoked client's tokens stop at once. The check lives in the FHIR functions rather than in an API
Gateway authorizer because gateway answers are API-wide problem+json, and a FHIR client must get an
OperationOutcome (and `WWW-Authenticate`) for a bad token like for any other error.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from functions.shared.core.config import settings
from functions.shared.core.fhir_http import FhirError
from functions.shared.store import repositories
from functions.shared.store.provider_access import AccessGrant, BackendClient

ACCESS_TOKEN_LIFETIME = timedelta(minutes=5)
# The resource types the FHIR API serves to read (Provider Access, and PAS `$inquire` for ClaimResponse); a
# scope names one (or `*`) with SMART v2 `.rs` or v1 `.read` permissions. The one write is PAS `$submit`:
# `system/Claim.c` (v1 `system/Claim.write`), granted only when asked for by name.
SERVED_TYPES = ("Group", "Patient", "Coverage", "ExplanationOfBenefit", "ClaimResponse")
READ_SCOPES = tuple(f"system/{kind}.rs" for kind in SERVED_TYPES)
PROVIDER_ACCESS_SCOPES = tuple(s for s in READ_SCOPES if s != "system/ClaimResponse.rs")
SUBMIT_SCOPE = "system/Claim.c"
SCOPES = (*READ_SCOPES, SUBMIT_SCOPE)


def fhir_base() -> str:
    """The FHIR API's base URL, as clients use it (the pages' origin, `/api` and the `/fhir` routes)."""
    return settings().portal_url.rstrip("/") + "/api/fhir"


def token_url() -> str:
    return fhir_base() + "/auth/token"


def normal_scope(scope: str) -> tuple[str, ...] | None:
    """The served scopes one requested scope stands for (`system/*.read` → every read scope), or None if
    not served."""
    if not scope.startswith("system/") or "." not in scope:
        return None
    kind, permissions = scope.removeprefix("system/").rsplit(".", 1)
    if kind == "Claim" and permissions in ("c", "write"):
        return (SUBMIT_SCOPE,)
    if permissions not in ("rs", "read", "r", "s") or (kind != "*" and kind not in SERVED_TYPES):
        return None
    return READ_SCOPES if kind == "*" else (f"system/{kind}.rs",)


def scopes_of(requested: Iterable[str]) -> tuple[str, ...] | None:
    """Requested scopes as served ones, in the served order; None when one of them is not served."""
    wanted: set[str] = set()
    for scope in requested:
        served = normal_scope(scope)
        if served is None:
            return None
        wanted.update(served)
    return tuple(s for s in SCOPES if s in wanted)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(client: BackendClient, scopes: tuple[str, ...], now: datetime) -> tuple[str, AccessGrant]:
    token = secrets.token_urlsafe(32)
    grant = AccessGrant(client.client_id, client.provider_id, scopes, now + ACCESS_TOKEN_LIFETIME)
    repositories().provider_access.put_token(_digest(token), grant)
    return token, grant


def _refused(description: str) -> FhirError:
    return FhirError(401, "login", description,
                     {"WWW-Authenticate": 'Bearer realm="fhir", error="invalid_token"'})


def granted(authorization: str | None, now: datetime, needs: str) -> AccessGrant:
    """The grant of a request's bearer token, checked for `needs` (a served scope), or a FhirError."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _refused("Send an access token (Authorization: Bearer ...) from POST /fhir/auth/token.")
    grant = repositories().provider_access.token(_digest(token.strip()))
    if grant is None or grant.valid_until <= now:
        raise _refused("The access token is not valid or has expired: get a new one.")
    client = repositories().provider_access.client(grant.client_id)
    if client is None or client.status != "active":
        raise _refused("The client of this access token was revoked.")
    if needs not in grant.scopes:
        raise FhirError(403, "forbidden", f"The access token does not carry the scope {needs}.",
                        {"WWW-Authenticate": f'Bearer realm="fhir", error="insufficient_scope", scope="{needs}"'})
    return grant
