"""The store: the only code that knows DynamoDB (PynamoDB models in `models.py`).

Each record type has one repository, the only code that writes it, with domain verbs
(`accounts.activate(...)`, `links.grant_access(...)`); every state change is one conditional
transaction that includes its audit record. Rules reach the repositories through `repositories()`,
receive plain views and `StrEnum` states (functions/shared/core/states.py), and never see a model or an
expression; unit tests swap in in-memory repositories with `use(...)`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from functions.shared.store.accounts import Accounts
    from functions.shared.store.admissions import Admissions
    from functions.shared.store.attachment_files import AttachmentFiles
    from functions.shared.store.audit import AuditLog
    from functions.shared.store.authorizations import Authorizations
    from functions.shared.store.claims import Claims
    from functions.shared.store.consents import Consents
    from functions.shared.store.deliveries import Deliveries
    from functions.shared.store.devices import Devices
    from functions.shared.store.export_files import ExportFiles
    from functions.shared.store.lifecycle import Lifecycle
    from functions.shared.store.links import Links
    from functions.shared.store.members import Members
    from functions.shared.store.metrics_files import MetricsFiles
    from functions.shared.store.org_agreements import OrgAgreements
    from functions.shared.store.provider_access import DynamoProviderAccess
    from functions.shared.store.rate_limits import RateLimits
    from functions.shared.store.roster import Roster
    from functions.shared.store.sessions import Sessions
    from functions.shared.store.tokens import Tokens

# Each repository's DynamoDB implementation, imported on first use (a function pays only for what it uses).
_DYNAMO = {
    "audit": "audit:DynamoAuditLog",
    "accounts": "accounts:DynamoAccounts",
    "sessions": "sessions:DynamoSessions",
    "devices": "devices:DynamoDevices",
    "tokens": "tokens:DynamoTokens",
    "rate_limits": "rate_limits:DynamoRateLimits",
    "links": "links:DynamoLinks",
    "consents": "consents:DynamoConsents",
    "org_agreements": "org_agreements:DynamoOrgAgreements",
    "roster": "roster:DynamoRoster",
    "members": "members:DynamoMembers",
    "claims": "claims:DynamoClaims",
    "admissions": "admissions:DynamoAdmissions",
    "authorizations": "authorizations:DynamoAuthorizations",
    "lifecycle": "lifecycle:DynamoLifecycle",
    "deliveries": "deliveries:DynamoDeliveries",
    "provider_access": "provider_access:DynamoProviderAccess",
    "export_files": "export_files:S3ExportFiles",  # S3: the files of Provider Access exports
    "attachment_files": "attachment_files:S3AttachmentFiles",  # S3, not DynamoDB: the files of authorizations
    "metrics_files": "metrics_files:S3MetricsFiles",  # S3: the published prior-authorization metrics
}


class Repositories:
    """Every repository of the portal, behind its interface (a `Protocol` in its module)."""

    audit: AuditLog
    accounts: Accounts
    sessions: Sessions
    devices: Devices
    tokens: Tokens
    rate_limits: RateLimits
    links: Links
    consents: Consents
    org_agreements: OrgAgreements
    roster: Roster
    members: Members
    claims: Claims
    admissions: Admissions
    authorizations: Authorizations
    lifecycle: Lifecycle
    deliveries: Deliveries
    attachment_files: AttachmentFiles
    provider_access: DynamoProviderAccess
    export_files: ExportFiles
    metrics_files: MetricsFiles

    def __init__(self, *, dynamo_fallback: bool = True, **given: Any) -> None:
        unknown = set(given) - set(_DYNAMO)
        if unknown:
            raise TypeError(f"no such repository: {', '.join(sorted(unknown))}")
        self._dynamo_fallback = dynamo_fallback
        self.__dict__.update(given)

    def __getattr__(self, name: str) -> Any:
        # Only called for a repository not built yet.
        if name.startswith("_") or name not in _DYNAMO or not self._dynamo_fallback:
            raise AttributeError(name)
        module, cls = _DYNAMO[name].split(":")
        repository = getattr(importlib.import_module(f"functions.shared.store.{module}"), cls)()
        setattr(self, name, repository)
        return repository


_current: Repositories | None = None


def repositories() -> Repositories:
    """The repositories of this container (DynamoDB), built on first use: no AWS call at import."""
    global _current
    if _current is None:
        _current = Repositories()
    return _current


def use(replacement: Repositories | None) -> None:
    """Swap the repositories (unit tests: in-memory ones, `dynamo_fallback=False`); None: DynamoDB."""
    global _current
    _current = replacement
