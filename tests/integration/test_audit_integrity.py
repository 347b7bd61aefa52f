"""Audit records are insert-only on a real DynamoDB engine (DynamoDB Local): a second put of an existing
record is refused by its condition, alone or inside another change's transaction (which then fails
whole). IAM grants the functions PutItem only on the audit table (tests/infra)."""

from __future__ import annotations

import pytest
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from functions.shared.core.audit import audit_event
from functions.shared.core.http import RequestMeta
from functions.shared.store import repositories
from functions.shared.store.audit import audit_item
from functions.shared.store.models import AuditEvent, UniqueKey, connection

META = RequestMeta("r1", "198.51.100.7", "test")


@pytest.fixture
def entry(aws, clock):
    first = audit_event("signin", "success", META, subject="acct-1", detail={"kind": "password"})
    repositories().audit.record(first)
    return first


def test_a_second_put_of_an_existing_record_is_refused(entry):
    forged = audit_event("signin", "failure", META, subject=entry.subject)
    rewritten = audit_item(forged)
    rewritten.at_id = entry.at_id  # the same record, other content
    with pytest.raises(PutError) as refused:
        rewritten.save()  # no condition given: the model adds attribute_not_exists itself
    assert refused.value.cause_response_code == "ConditionalCheckFailedException"
    with pytest.raises(PutError):
        repositories().audit.record(entry)
    stored = AuditEvent.get(entry.subject, entry.at_id, consistent_read=True)
    assert (stored.action, stored.outcome) == ("signin", "success")


def test_a_transaction_rewriting_a_record_fails_whole(entry):
    rewritten = audit_item(audit_event("link.create", "administrator", META, subject=entry.subject))
    rewritten.at_id = entry.at_id
    with pytest.raises(TransactWriteError) as refused, TransactWrite(connection=connection()) as tx:
        tx.save(UniqueKey("side-effect", account_id="acct-1"))
        tx.save(rewritten)
    assert [r.code if r else None for r in refused.value.cancellation_reasons] == [None, "ConditionalCheckFailed"]
    with pytest.raises(UniqueKey.DoesNotExist):
        UniqueKey.get("side-effect", consistent_read=True)
    assert AuditEvent.get(entry.subject, entry.at_id, consistent_read=True).outcome == "success"
