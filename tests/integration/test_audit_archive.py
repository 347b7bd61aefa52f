"""The audit archive: the audit table's stream (DynamoDB Local's own stream records) written by the
archive function into the Object Lock bucket (moto S3, provisioned as in AWS: compliance mode, six years)."""

from __future__ import annotations

import json

import pytest

from devserver.local_aws import LOCAL_ENV
from functions.audit_archive.handler import lambda_handler
from functions.shared.core.audit import audit_event
from functions.shared.core.http import RequestMeta
from functions.shared.store import repositories
from functions.shared.store.models import AuditEvent
from tests.events import FakeContext

BUCKET = LOCAL_ENV["AUDIT_ARCHIVE_BUCKET"]
META = RequestMeta("r1", "198.51.100.7", "test")


def stream_records(aws) -> list[dict]:
    """Every record of the audit table's stream so far, as Lambda's event source would deliver them."""
    import os

    streams = aws.client("dynamodbstreams", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
    arn = aws.client("dynamodb").describe_table(TableName=AuditEvent.Meta.table_name)["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator)
            records += page["Records"]
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return [json.loads(json.dumps(r, default=lambda v: v.timestamp())) for r in records]  # as JSON arrives


@pytest.fixture
def archived(aws, clock):
    entries = [audit_event("signin", "success", META, subject="acct-1", detail={"kind": "password"}),
               audit_event("link.create", "administrator", META, subject="acct-2", detail={"provider_id": "G1"})]
    for entry in entries:
        repositories().audit.record(entry)
    mine = [r for r in stream_records(aws)
            if r["dynamodb"]["Keys"]["at_id"]["S"] in {e.at_id for e in entries}]
    assert [r["eventName"] for r in mine] == ["INSERT", "INSERT"]
    assert lambda_handler({"Records": mine}, FakeContext()) == {"records": 2}
    return entries, mine


def test_each_batch_becomes_one_locked_object_of_json_lines(aws, archived):
    from functions.audit_archive.logic import batch

    s3 = aws.client("s3")
    key = batch(archived[1]).key
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    lines = [json.loads(line) for line in body.splitlines()]
    assert [(x["record"]["subject"], x["record"]["action"], x["record"]["outcome"]) for x in lines] == [
        ("acct-1", "signin", "success"), ("acct-2", "link.create", "administrator")]
    assert lines[1]["record"]["detail"] == {"provider_id": "G1"} and lines[0]["event"] == "INSERT"
    lock = s3.get_object_lock_configuration(Bucket=BUCKET)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert (lock["Rule"]["DefaultRetention"]["Mode"], lock["Rule"]["DefaultRetention"]["Years"]) == ("COMPLIANCE", 6)


def test_a_redelivered_batch_lands_on_the_same_key(aws, archived):
    from functions.audit_archive.logic import batch

    _, records = archived
    s3 = aws.client("s3")
    before = len(s3.list_objects_v2(Bucket=BUCKET, Prefix="audit/")["Contents"])
    lambda_handler({"Records": records}, FakeContext())  # the event source retries a batch
    assert len(s3.list_objects_v2(Bucket=BUCKET, Prefix="audit/")["Contents"]) == before
    key = batch(records).key
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"]
    assert len(versions) == 2  # the first copy stays, locked


def test_an_update_or_delete_that_should_be_impossible_is_archived_and_flagged():
    from functions.audit_archive.logic import batch

    change = {"Keys": {"subject": {"S": "acct-1"}, "at_id": {"S": "t#1"}}, "SequenceNumber": "9",
              "ApproximateCreationDateTime": 1_790_000_000}
    odd = batch([{"eventName": "REMOVE", "eventID": "e1", "dynamodb": change},
                 {"eventName": "REMOVE", "eventID": "e2", "dynamodb": change,
                  "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"}}])
    assert odd is not None and odd.records == 2 and odd.unexpected == 1  # the TTL expiry is expected
    assert b'"expired_by_ttl":true' in odd.body


def test_an_archived_version_cannot_be_deleted(aws, archived):
    from botocore.exceptions import ClientError

    from functions.audit_archive.logic import batch

    s3 = aws.client("s3")
    key = batch(archived[1]).key
    version = s3.head_object(Bucket=BUCKET, Key=key)
    assert version["ObjectLockMode"] == "COMPLIANCE"
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=BUCKET, Key=key, VersionId=version["VersionId"])
