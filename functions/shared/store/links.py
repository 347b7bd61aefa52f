"""Provider links: who is linked to which Provider ID, as what, and what their request waits for.

The first account to link a Provider ID claims 'provider-admin#<id>' in the same transaction that
creates its link, so concurrent first links yield exactly one administrator. The claim also counts
the Provider ID's administrators, so the last one can never step down.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from functions.shared.audit import AuditEntry
from functions.shared.states import OPEN_LINK_STATUSES
from functions.shared.store.audit import audit_item
from functions.shared.store.models import Consent, Link, LinkStatus, UniqueKey, bind_tables
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken, find, transact, transact_or_stale

ADMIN_KEY = "provider-admin#"
CLOSED = (LinkStatus.DENIED, LinkStatus.EXPIRED, LinkStatus.REMOVED)


def _new_or_closed() -> object:
    # A person may ask again after a denial, expiry or removal, never twice at once.
    return Link.account_id.does_not_exist() | Link.status.is_in(*CLOSED)


def create_as_admin(link: Link, audit: AuditEntry) -> None:
    """Create the first link of a Provider ID and make its account the administrator."""

    def build(tx: TransactWrite) -> None:
        tx.save(UniqueKey(ADMIN_KEY + link.provider_id, account_id=link.account_id, tally=1),
                condition=UniqueKey.key.does_not_exist())
        tx.save(link, condition=_new_or_closed())
        tx.save(audit_item(audit))

    try:
        transact(build)
    except TransactWriteError as exc:
        reasons = [r.code if r else None for r in exc.cancellation_reasons]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            raise UniqueKeyTaken(ADMIN_KEY + link.provider_id) from None
        raise StaleWrite from exc


def create_request(link: Link, audit: AuditEntry) -> None:
    def build(tx: TransactWrite) -> None:
        tx.save(link, condition=_new_or_closed())
        tx.save(audit_item(audit))

    transact_or_stale(build)


def get(account_id: str, provider_id: str) -> Link | None:
    return find(Link, account_id, provider_id)


def of_account(account_id: str, *, consistent: bool = False) -> list[Link]:
    bind_tables()
    return list(Link.query(account_id, consistent_read=consistent))


def of_provider(provider_id: str) -> list[Link]:
    bind_tables()
    return list(Link.by_provider.query(provider_id))


def update(link: Link, actions: list, condition: object | None = None, audit: AuditEntry | None = None) -> None:
    """A guarded change to one link (with its audit record); StaleWrite when the guard fails."""

    def build(tx: TransactWrite) -> None:
        guard = Link.account_id.exists() if condition is None else Link.account_id.exists() & condition
        tx.update(link, actions=actions, condition=guard)
        if audit:
            tx.save(audit_item(audit))

    transact_or_stale(build)


def change_admins(link: Link, make_admin: bool, audit: AuditEntry) -> None:
    """Promote a member, or let an administrator step down while another one remains."""
    claim = UniqueKey(ADMIN_KEY + link.provider_id)

    def build(tx: TransactWrite) -> None:
        if make_admin:
            tx.update(claim, actions=[UniqueKey.tally.add(1)], condition=UniqueKey.key.exists())
            tx.update(link, actions=[Link.role.set("admin")],
                      condition=(Link.role == "member") & (Link.status == LinkStatus.ACTIVE))
        else:
            tx.update(claim, actions=[UniqueKey.tally.add(-1)], condition=UniqueKey.tally > 1)
            tx.update(link, actions=[Link.role.set("member")], condition=Link.role == "admin")
        tx.save(audit_item(audit))

    transact_or_stale(build)


def has_consent(account_id: str, document: str) -> bool:
    bind_tables()
    return Consent.count(account_id, Consent.document == document, consistent_read=True, limit=1) > 0


def record_consent(consent: Consent, audit: AuditEntry) -> None:
    def build(tx: TransactWrite) -> None:
        tx.save(consent, condition=Consent.document.does_not_exist())
        tx.save(audit_item(audit))

    try:
        transact(build)
    except TransactWriteError as exc:
        reasons = [r.code if r else None for r in exc.cancellation_reasons]
        if "ConditionalCheckFailed" not in reasons:
            raise
        # already accepted this version: accepting again changes nothing


def now_active(link: Link, now: datetime, audit: AuditEntry) -> bool:
    """Grant access once: False when the link is already active or no longer open."""
    try:
        update(link, [Link.status.set(LinkStatus.ACTIVE), Link.decided_at.set(now), Link.waiting_token.remove(),
                      Link.waiting_for.remove()], Link.status.is_in(*OPEN_LINK_STATUSES), audit)
    except StaleWrite:
        return False
    return True
