"""Provider Access repository (the FHIR door for providers' systems): registered backend clients, the
access tokens issued to them, the assertion ids already used, matched member groups, export jobs and
members' opt-outs, in one table keyed by kind (`client#`, `token#`, `jti#`, `group#`, `export#`,
`optout#`).

Every item but a client and an opt-out expires (TTL for housekeeping; the code checks `valid_until`,
because DynamoDB deletes late). A Provider ID's clients are one Query of the sparse `by-provider`
index. Tokens are stored as their SHA-256 only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.transactions import TransactWrite

from functions.shared.core.audit import AuditEntry
from functions.shared.store.audit import audit_item
from functions.shared.store.models import bind_tables
from functions.shared.store.portal_models import ProviderAccessRecord
from functions.shared.store.transactions import StaleWrite, find, transact, transact_or_stale

ClientStatus = Literal["active", "revoked"]
JobStatus = Literal["accepted", "running", "complete", "failed", "cancelled"]


@dataclass(frozen=True)
class BackendClient:
    client_id: str
    provider_id: str
    name: str
    scopes: tuple[str, ...]
    jwks_url: str | None
    jwks: dict[str, Any] | None
    status: ClientStatus
    created_at: datetime
    created_by: str
    changed_at: datetime | None = None
    changed_by: str | None = None


@dataclass(frozen=True)
class AccessGrant:
    """What an access token grants: its client, the Provider ID it acts for, its scopes, until when."""

    client_id: str
    provider_id: str
    scopes: tuple[str, ...]
    valid_until: datetime


@dataclass(frozen=True)
class MemberGroup:
    group_id: str
    provider_id: str
    client_id: str
    member_ids: tuple[str, ...]
    created_at: datetime
    valid_until: datetime


@dataclass(frozen=True)
class ExportFile:
    type: str
    name: str
    count: int


@dataclass(frozen=True)
class ExportJob:
    job_id: str
    group_id: str
    provider_id: str
    client_id: str
    export_type: str
    since: datetime | None
    types: tuple[str, ...]
    request_url: str
    status: JobStatus
    created_at: datetime
    valid_until: datetime  # the job and its files are gone after this (the manifest's Expires)
    transaction_time: datetime | None = None
    output: tuple[ExportFile, ...] = ()
    error: str | None = None
    polled_at: datetime | None = None
    done: int = 0


def _ttl(moment: datetime) -> datetime:
    return moment + timedelta(days=1)  # housekeeping a day after the item stops counting


class DynamoProviderAccess:
    # --- clients ---------------------------------------------------------------------------------
    def add_client(self, client: BackendClient, audit: AuditEntry) -> None:
        bind_tables()
        item = ProviderAccessRecord(
            f"client#{client.client_id}", provider_id=client.provider_id,
            listed_key=f"{client.created_at.isoformat()}#{client.client_id}", client_id=client.client_id,
            name=client.name, jwks_url=client.jwks_url, jwks=json.dumps(client.jwks) if client.jwks else None,
            scopes=list(client.scopes), status=client.status, created_at=client.created_at,
            created_by=client.created_by)

        def build(tx: TransactWrite) -> None:
            tx.save(item, condition=ProviderAccessRecord.key.does_not_exist())
            tx.save(audit_item(audit))

        transact(build)

    def client(self, client_id: str) -> BackendClient | None:
        item = find(ProviderAccessRecord, f"client#{client_id}")
        return _client(item) if item else None

    def clients_of(self, provider_id: str) -> list[BackendClient]:
        bind_tables()
        return [_client(i) for i in ProviderAccessRecord.by_provider.query(provider_id)]

    def revoke_client(self, client_id: str, by: str, now: datetime, audit: AuditEntry) -> None:
        """Revoke an active client (StaleWrite when it is unknown or already revoked)."""
        bind_tables()
        record = ProviderAccessRecord(f"client#{client_id}")

        def build(tx: TransactWrite) -> None:
            tx.update(record, actions=[ProviderAccessRecord.status.set("revoked"),
                                       ProviderAccessRecord.changed_at.set(now),
                                       ProviderAccessRecord.changed_by.set(by)],
                      condition=ProviderAccessRecord.status == "active")
            tx.save(audit_item(audit))

        transact_or_stale(build)

    # --- assertions and tokens -------------------------------------------------------------------
    def claim_assertion(self, client_id: str, jti: str, valid_until: datetime) -> bool:
        """Record an assertion id as used; False when it was used before (a replay)."""
        bind_tables()
        item = ProviderAccessRecord(f"jti#{client_id}#{jti}", client_id=client_id, valid_until=valid_until,
                                    expires_at=_ttl(valid_until))
        try:
            item.save(condition=ProviderAccessRecord.key.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def put_token(self, token_hash: str, grant: AccessGrant) -> None:
        bind_tables()
        ProviderAccessRecord(f"token#{token_hash}", client_id=grant.client_id, provider_id=grant.provider_id,
                             scopes=list(grant.scopes), valid_until=grant.valid_until,
                             expires_at=_ttl(grant.valid_until)).save(
            condition=ProviderAccessRecord.key.does_not_exist())

    def token(self, token_hash: str) -> AccessGrant | None:
        item = find(ProviderAccessRecord, f"token#{token_hash}")
        if item is None or item.client_id is None or item.valid_until is None:
            return None
        return AccessGrant(item.client_id, item.provider_id or "", tuple(item.scopes or ()), item.valid_until)

    # --- member groups ---------------------------------------------------------------------------
    def put_group(self, group: MemberGroup, audit: AuditEntry) -> None:
        bind_tables()
        item = ProviderAccessRecord(f"group#{group.group_id}", client_id=group.client_id,
                                    group_id=group.group_id, provider_id=group.provider_id,
                                    member_ids=list(group.member_ids), created_at=group.created_at,
                                    valid_until=group.valid_until, expires_at=_ttl(group.valid_until))

        def build(tx: TransactWrite) -> None:
            tx.save(item, condition=ProviderAccessRecord.key.does_not_exist())
            tx.save(audit_item(audit))

        transact(build)

    def group(self, group_id: str) -> MemberGroup | None:
        item = find(ProviderAccessRecord, f"group#{group_id}")
        if item is None or item.created_at is None or item.valid_until is None:
            return None
        return MemberGroup(group_id, item.provider_id or "", item.client_id or "", tuple(item.member_ids or ()),
                           item.created_at, item.valid_until)

    # --- export jobs -----------------------------------------------------------------------------
    def put_job(self, job: ExportJob, audit: AuditEntry) -> None:
        bind_tables()
        item = ProviderAccessRecord(
            f"export#{job.job_id}", group_id=job.group_id, provider_id=job.provider_id, client_id=job.client_id,
            export_type=job.export_type, since=job.since, types=list(job.types) or None,
            request_url=job.request_url, status=job.status, created_at=job.created_at, done=0,
            valid_until=job.valid_until, expires_at=_ttl(job.valid_until))

        def build(tx: TransactWrite) -> None:
            tx.save(item, condition=ProviderAccessRecord.key.does_not_exist())
            tx.save(audit_item(audit))

        transact(build)

    def job(self, job_id: str) -> ExportJob | None:
        item = find(ProviderAccessRecord, f"export#{job_id}")
        return _job(item) if item else None

    def polled(self, job_id: str, now: datetime, not_before: datetime) -> bool:
        """Note a status poll; False when the last one was after `not_before` (polled too often)."""
        bind_tables()
        try:
            ProviderAccessRecord(f"export#{job_id}").update(
                actions=[ProviderAccessRecord.polled_at.set(now)],
                condition=ProviderAccessRecord.key.exists() & (ProviderAccessRecord.polled_at.does_not_exist()
                                                               | (ProviderAccessRecord.polled_at <= not_before)))
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def move_job(self, job_id: str, expected: tuple[JobStatus, ...], status: JobStatus, *,
                 transaction_time: datetime | None = None, output: tuple[ExportFile, ...] | None = None,
                 error: str | None = None, done: int | None = None) -> None:
        """Move a job from one of `expected` to `status` (StaleWrite when it is in another one)."""
        bind_tables()
        actions: list[Any] = [ProviderAccessRecord.status.set(status)]
        if transaction_time is not None:
            actions.append(ProviderAccessRecord.transaction_time.set(transaction_time))
        if output is not None:
            actions.append(ProviderAccessRecord.output.set(json.dumps(
                [{"type": f.type, "name": f.name, "count": f.count} for f in output])))
        if error is not None:
            actions.append(ProviderAccessRecord.error.set(error))
        if done is not None:
            actions.append(ProviderAccessRecord.done.set(done))
        try:
            ProviderAccessRecord(f"export#{job_id}").update(
                actions=actions, condition=ProviderAccessRecord.status.is_in(*expected))
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise StaleWrite from None
            raise

    # --- opt-outs --------------------------------------------------------------------------------
    def opted_out(self, member_ids: list[str]) -> set[str]:
        """Which of these members opted out of Provider Access (one BatchGet per 100)."""
        bind_tables()
        keys = [f"optout#{m}" for m in dict.fromkeys(member_ids)]
        found: set[str] = set()
        for start in range(0, len(keys), 100):
            for item in ProviderAccessRecord.batch_get(keys[start:start + 100]):
                if item.status == "opted_out":
                    found.add(item.key.removeprefix("optout#"))
        return found

    def put_opt_out(self, member_id: str, opted_out: bool, content_hash: str, source: str) -> bool:
        """A member's choice as the plan's data gives it; written only when that content changed (a re-run
        of an extract writes nothing). True when written."""
        bind_tables()
        stored = find(ProviderAccessRecord, f"optout#{member_id}")
        if stored is not None and stored.content_hash == content_hash:
            return False
        ProviderAccessRecord(f"optout#{member_id}", status="opted_out" if opted_out else "opted_in",
                             content_hash=content_hash, changed_by=f"import:{source}"[:256]).save()
        return True

    def set_opt_out(self, member_id: str, opted_out: bool, by: str, now: datetime, audit: AuditEntry) -> None:
        bind_tables()
        item = ProviderAccessRecord(f"optout#{member_id}", status="opted_out" if opted_out else "opted_in",
                                    changed_at=now, changed_by=by)  # staff's choice: a later extract's differs

        def build(tx: TransactWrite) -> None:
            tx.save(item)
            tx.save(audit_item(audit))

        transact(build)


def _client(item: ProviderAccessRecord) -> BackendClient:
    assert item.created_at is not None and item.client_id is not None
    return BackendClient(item.client_id, item.provider_id or "", item.name or "", tuple(item.scopes or ()),
                         item.jwks_url, json.loads(item.jwks) if item.jwks else None,
                         "revoked" if item.status == "revoked" else "active", item.created_at,
                         item.created_by or "", item.changed_at, item.changed_by)


def _job(item: ProviderAccessRecord) -> ExportJob:
    assert item.created_at is not None and item.valid_until is not None
    output = tuple(ExportFile(o["type"], o["name"], int(o["count"])) for o in json.loads(item.output or "[]"))
    status: Any = item.status
    return ExportJob(item.key.removeprefix("export#"), item.group_id or "", item.provider_id or "",
                     item.client_id or "", item.export_type or "", item.since, tuple(item.types or ()),
                     item.request_url or "", status,
                     item.created_at, item.valid_until, item.transaction_time, output, item.error,
                     item.polled_at, int(item.done or 0))
