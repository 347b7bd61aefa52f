"""Registering, listing and revoking a Provider ID's backend clients (its administrators only), and the
staff's view of them and of members' Provider Access opt-outs. Each change is audited with who made it.

A client's keys are public keys only. A JWKS URL must be https on a host name (the token endpoint
fetches it; no address literals, so it cannot be pointed into the plan's network); the local stage also
accepts http on localhost for the devserver's own walk-through.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from functions.fhir_clients.models import ClientList, ClientView, RegisterByKeys, RegisterByUrl, RegisterClient, key_ids
from functions.shared.core import audit
from functions.shared.core.config import settings
from functions.shared.core.errors import FieldError, Problem, invalid_fields
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.services import access, backend_access
from functions.shared.store import repositories
from functions.shared.store.provider_access import BackendClient
from functions.shared.store.transactions import StaleWrite

CLIENT_NOT_FOUND = Problem(404, "client-not-found", "No such client", "Reload the list of clients.")
MAX_ACTIVE_CLIENTS = 10



def view(client: BackendClient) -> ClientView:
    return ClientView(client_id=client.client_id, name=client.name, scopes=list(client.scopes),
                      jwks_url=client.jwks_url, key_ids=key_ids(client.jwks), status=client.status,
                      created_at=client.created_at,
                      revoked_at=client.changed_at if client.status == "revoked" else None)


def listing(provider_id: str) -> ClientList:
    return ClientList(provider_id=provider_id, fhir_base=backend_access.fhir_base(),
                      token_url=backend_access.token_url(),
                      clients=[view(c) for c in repositories().provider_access.clients_of(provider_id)])


def clients(provider_id: str, who: Caller) -> ClientList:
    access.require_admin(who.account_id, provider_id)
    return listing(provider_id)


def _check_jwks_url(url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    local = settings().stage == "local" and parts.scheme == "http" and host in ("localhost", "127.0.0.1")
    if not local and parts.scheme != "https":  # the schema's pattern refuses address literals and other schemes
        raise invalid_fields([FieldError("jwks_url", "Give an https address on a host name (not an IP address) "
                                                     "where the client publishes its JWK Set.", "url")])


def register(provider_id: str, req: RegisterClient, who: Caller, meta: RequestMeta, now: datetime) -> ClientView:
    access.require_admin(who.account_id, provider_id)
    return add_client(provider_id, req, who.account_id, meta, now)


def add_client(provider_id: str, req: RegisterClient, by: str, meta: RequestMeta, now: datetime) -> ClientView:
    jwks_url = req.jwks_url if isinstance(req, RegisterByUrl) else None
    jwks = req.jwks.model_dump(exclude_none=True) if isinstance(req, RegisterByKeys) else None
    if jwks_url is not None:
        _check_jwks_url(jwks_url)
    kids = key_ids(jwks)
    if len(set(kids)) != len(kids):
        raise Problem(409, "duplicate-key-ids", "Two keys share a kid",
                      "Give each key of the set its own kid: the client names its key by it.")
    active = [c for c in repositories().provider_access.clients_of(provider_id) if c.status == "active"]
    if len(active) >= MAX_ACTIVE_CLIENTS:
        raise Problem(409, "too-many-clients", "This Provider ID has as many clients as it may",
                      f"Revoke a client you no longer use (at most {MAX_ACTIVE_CLIENTS} active).")
    client = BackendClient(
        client_id="pa-" + secrets.token_hex(12), provider_id=provider_id, name=req.name,
        scopes=tuple(s for s in backend_access.SCOPES if s in req.scopes),
        jwks_url=jwks_url, jwks=jwks, status="active", created_at=now,
        created_by=by)
    entry = audit.audit_event("fhir.client", "registered", meta, subject=by, now=now,
                              detail={"provider_id": provider_id, "client_id": client.client_id,
                                      "scopes": " ".join(client.scopes)})
    repositories().provider_access.add_client(client, entry)
    return view(client)


def _revoke(client: BackendClient | None, provider_id: str | None, by: str, meta: RequestMeta,
            now: datetime) -> None:
    if client is None or (provider_id is not None and client.provider_id != provider_id):
        raise CLIENT_NOT_FOUND
    entry = audit.audit_event("fhir.client", "revoked", meta, subject=by, now=now,
                              detail={"provider_id": client.provider_id, "client_id": client.client_id})
    try:
        repositories().provider_access.revoke_client(client.client_id, by, now, entry)
    except StaleWrite:
        raise Problem(409, "already-revoked", "The client is already revoked", "Reload the list.") from None


def revoke(provider_id: str, client_id: str, who: Caller, meta: RequestMeta, now: datetime) -> None:
    access.require_admin(who.account_id, provider_id)
    _revoke(repositories().provider_access.client(client_id), provider_id, who.account_id, meta, now)


def staff_revoke(client_id: str, staff: str, meta: RequestMeta, now: datetime) -> None:
    _revoke(repositories().provider_access.client(client_id), None, staff, meta, now)


def set_opt_out(member_id: str, opted_out: bool, staff: str, meta: RequestMeta, now: datetime) -> None:
    if repositories().members.get(member_id) is None:
        raise Problem(404, "member-not-found", "No such member", "Check the member ID.")
    entry = audit.audit_event("fhir.opt_out", "opted_out" if opted_out else "opted_in", meta, subject=member_id,
                              now=now, detail={"by": staff})
    repositories().provider_access.set_opt_out(member_id, opted_out, staff, now, entry)
