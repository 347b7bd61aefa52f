"""The token endpoint's rules (SMART App Launch 2.0 Backend Services, RFC 7523 client assertions).

A client proves itself with a JWT it signed with one of the keys it registered (inline JWKS or a JWKS
URL): RS384 or ES384, `iss` = `sub` = its client id, `aud` = this token URL, `exp` at most five minutes
ahead, a `jti` never used before (kept until the assertion expires) and the key's `kid`. Every refusal
is `invalid_client` with the reason (the client is a program its developer debugs; nothing here tells
an outsider which client ids exist, since an unknown and a revoked client read the same). Signatures
are checked by PyJWT, never by code of ours.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import jwt

from functions.shared.core.fhir_http import OAuthError
from functions.shared.core.http import RequestMeta
from functions.shared.services import backend_access
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.provider_access import BackendClient

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS384", "ES384")
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)
CLOCK_SKEW = timedelta(seconds=30)
JWKS_LIFETIME_S = 300  # a client's published keys are re-read at most every five minutes
JWKS_TIMEOUT_S = 3
# An unknown kid re-reads the JWKS at most this often: a rotated key waits up to this long, and a flood of
# made-up kids cannot turn the token endpoint against the client's key server.
JWKS_REFRESH_COOLDOWN_S = 30

_jwks_clients: dict[str, jwt.PyJWKClient] = {}


def smart_configuration() -> dict[str, Any]:
    return {
        "issuer": backend_access.fhir_base(),
        "token_endpoint": backend_access.token_url(),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": [*backend_access.SCOPES, "system/*.rs", "system/*.read"],
        "capabilities": ["client-confidential-asymmetric", "permission-v2", "permission-v1"],
        "code_challenge_methods_supported": [],
    }


def _refuse(reason: str) -> OAuthError:
    return OAuthError("invalid_client", reason, status=401)


def token(form: dict[str, str], meta: RequestMeta, now: datetime) -> dict[str, Any]:
    if form.get("grant_type") != "client_credentials":
        raise OAuthError("unsupported_grant_type", "grant_type must be client_credentials.")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise OAuthError("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}.")
    assertion = form.get("client_assertion") or ""
    if not assertion:
        raise OAuthError("invalid_request", "client_assertion is required: a JWT signed with your key.")
    requested = backend_access.scopes_of((form.get("scope") or "").split())
    if requested is None or not (form.get("scope") or "").strip():
        raise OAuthError("invalid_scope", "Ask for scopes of system/(Group|Patient|Coverage|ExplanationOfBenefit"
                                          "|ClaimResponse|*).(rs|read), or system/Claim.c to submit prior "
                                          "authorizations.")
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise _refuse("client_assertion is not a JWT.") from None
    client_id = str(unverified.get("iss") or "")
    client = repositories().provider_access.client(client_id) if client_id else None
    if client is None or client.status != "active":
        _refused(client_id or "-", meta, now, "unknown or revoked client")
        raise _refuse("Unknown or revoked client: iss must be the client id you registered.")
    try:
        claims = _verified(assertion, header, client, now)
    except OAuthError as refused:
        _refused(client.client_id, meta, now, refused.description)
        raise
    if not repositories().provider_access.claim_assertion(client.client_id, str(claims["jti"]),
                                                          datetime.fromtimestamp(claims["exp"], now.tzinfo)):
        _refused(client.client_id, meta, now, "jti reused")
        raise _refuse("This assertion's jti was used before: sign a new assertion for every token request.")
    scopes = tuple(s for s in requested if s in client.scopes)
    if not scopes:
        raise OAuthError("invalid_scope", f"The client is registered for {' '.join(client.scopes)} only.")
    access_token, grant = backend_access.issue(client, scopes, now)
    audit_log.record("fhir.token", "issued", meta, subject=f"client:{client.client_id}", now=now,
                     detail={"provider_id": client.provider_id, "scopes": " ".join(scopes)})
    return {"access_token": access_token, "token_type": "bearer",
            "expires_in": int((grant.valid_until - now).total_seconds()), "scope": " ".join(scopes)}


def _verified(assertion: str, header: dict[str, Any], client: BackendClient, now: datetime) -> dict[str, Any]:
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise _refuse(f"Sign with {' or '.join(ALGORITHMS)}, not {algorithm}.")
    kid = header.get("kid")
    if not kid:
        raise _refuse("The JWT header needs the kid of the signing key.")
    key = _key(client, str(kid), str(algorithm))
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion, key, algorithms=[algorithm], audience=backend_access.token_url(), issuer=client.client_id,
            options={"require": ["iss", "sub", "aud", "exp", "jti"], "verify_exp": False, "verify_iat": False,
                     "verify_nbf": False})
    except jwt.InvalidAudienceError:
        raise _refuse(f"aud must be the token URL {backend_access.token_url()}.") from None
    except jwt.MissingRequiredClaimError as missing:
        raise _refuse(f"The assertion needs the claim {missing.claim}.") from None
    except jwt.InvalidSignatureError:
        raise _refuse("The signature does not verify with the key named by kid.") from None
    except jwt.PyJWTError as exc:
        raise _refuse(f"The assertion is not valid: {type(exc).__name__}.") from None
    if claims["sub"] != client.client_id:
        raise _refuse("sub must equal iss: the client id.")
    expires = claims["exp"]
    if not isinstance(expires, int | float):
        raise _refuse("exp must be a number of seconds.")
    if expires <= now.timestamp() - CLOCK_SKEW.total_seconds():
        raise _refuse("The assertion has expired.")
    if expires > (now + MAX_ASSERTION_LIFETIME + CLOCK_SKEW).timestamp():
        raise _refuse("exp must be at most five minutes ahead.")
    if not isinstance(claims["jti"], str) or not 1 <= len(claims["jti"]) <= 256:
        raise _refuse("jti must be a string of 1 to 256 characters.")
    return claims


def _key(client: BackendClient, kid: str, algorithm: str) -> Any:
    if client.jwks is not None:
        keys = [k for k in client.jwks.get("keys", []) if k.get("kid") == kid]
        if not keys:
            raise _refuse(f"No key with kid {kid} in the client's registered JWKS.")
        try:
            return jwt.PyJWK(keys[0], algorithm=algorithm).key
        except jwt.PyJWTError:
            raise _refuse(f"The key {kid} does not fit {algorithm}.") from None
    assert client.jwks_url is not None, "a client has inline keys or a JWKS URL"
    fetcher = _jwks_clients.get(client.jwks_url)
    if fetcher is None:
        fetcher = _jwks_clients[client.jwks_url] = jwt.PyJWKClient(
            client.jwks_url, cache_keys=True, lifespan=JWKS_LIFETIME_S, timeout=JWKS_TIMEOUT_S,
            cooldown_duration=JWKS_REFRESH_COOLDOWN_S)
    try:
        found = fetcher.get_signing_key(kid)
    except jwt.PyJWKClientConnectionError:
        raise OAuthError("invalid_client", "The client's JWKS URL could not be read: try again later.",
                         status=401) from None
    except jwt.PyJWKClientError:
        raise _refuse(f"No key with kid {kid} at the client's JWKS URL.") from None
    return found.key  # a key of another type than the algorithm's fails in jwt.decode


def _refused(client_id: str, meta: RequestMeta, now: datetime, reason: str) -> None:
    """The audit record (and the metric the FhirTokenRefusals alarm watches) of a refused assertion."""
    audit_log.record("fhir.token", "refused", meta, subject=f"client:{client_id[:64]}", now=now,
                     detail={"reason": reason})

