"""Which AWS failures the API answers with 503 + Retry-After (try again) rather than 500."""

from __future__ import annotations

from botocore.exceptions import ClientError, ReadTimeoutError
from pynamodb.exceptions import CancellationReason, PutError, TransactWriteError, VerboseClientError

from functions.shared.core.errors import is_transient


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, "TransactWriteItems")


def cancelled(*reasons: str) -> VerboseClientError:
    """A cancelled transaction as PynamoDB's connection raises it."""
    return VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "x"}},
                              "TransactWriteItems", {},
                              cancellation_reasons=[CancellationReason(code=r) if r != "None" else None
                                                    for r in reasons])


def wrapped(outer: type, cause: Exception) -> Exception:
    try:
        try:
            raise cause
        except Exception as exc:
            raise outer("failed", exc) from exc
    except Exception as exc:
        return exc


def test_throttling_conflicts_and_time_outs_are_transient():
    assert is_transient(client_error("ThrottlingException"))
    assert is_transient(client_error("ProvisionedThroughputExceededException"))
    assert is_transient(ReadTimeoutError(endpoint_url="https://dynamodb"))
    assert is_transient(wrapped(PutError, client_error("ProvisionedThroughputExceededException")))
    conflict = wrapped(TransactWriteError, cancelled("TransactionConflict", "None"))
    assert is_transient(conflict)


def test_refusals_and_bugs_are_not():
    assert not is_transient(client_error("ConditionalCheckFailedException"))
    assert not is_transient(client_error("AccessDeniedException"))
    failed_condition = wrapped(TransactWriteError, cancelled("None", "ConditionalCheckFailed"))
    assert not is_transient(failed_condition)
    assert not is_transient(wrapped(TransactWriteError, cancelled("TransactionConflict", "ConditionalCheckFailed")))
    assert not is_transient(ValueError("bug"))
