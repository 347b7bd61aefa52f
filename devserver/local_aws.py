"""Provision the embedded AWS (moto) the way infra/ provisions the real one: tables from the
PynamoDB models, the verified mail sender, the CAPTCHA key. Used by the devserver and the tests."""

from __future__ import annotations

from typing import Any

from functions.shared.store.models import MODELS, key_schema

LOCAL_ENV = {
    "STAGE": "local",
    "PLAN": "caresource",
    "PORTAL_URL": "http://127.0.0.1:3000",
    "MAIL_SENDER": "no-reply@portal.example.org",
    "ACCOUNTS_TABLE": "local-accounts",
    "UNIQUE_KEYS_TABLE": "local-unique-keys",
    "TOKENS_TABLE": "local-tokens",
    "RATE_LIMITS_TABLE": "local-rate-limits",
    "AUDIT_TABLE": "local-audit",
    "CAPTCHA_SECRET_NAME": "local/captcha-hmac-key",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto's fake credentials
    "POWERTOOLS_SERVICE_NAME": "provider-portal",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}

_TABLE_ENV = {"accounts": "ACCOUNTS_TABLE", "unique_keys": "UNIQUE_KEYS_TABLE", "tokens": "TOKENS_TABLE",
              "rate_limits": "RATE_LIMITS_TABLE", "audit": "AUDIT_TABLE"}


def table_definition(logical: str, table_name: str) -> dict[str, Any]:
    schema = key_schema(MODELS[logical])
    keys = [schema["hash_key"]] + ([schema["range_key"]] if schema["range_key"] else [])
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in keys],
        "KeySchema": [{"AttributeName": n, "KeyType": kt} for (n, _), kt in zip(keys, ("HASH", "RANGE"),
                                                                                 strict=False)],
    }


def provision(env: dict[str, str], session: Any) -> None:
    """Create every table, verify the sender and store a CAPTCHA key, through `session` (boto3)."""
    dynamodb = session.client("dynamodb")
    for logical, variable in _TABLE_ENV.items():
        dynamodb.create_table(**table_definition(logical, env[variable]))
        ttl = key_schema(MODELS[logical])["ttl"]
        if ttl:
            dynamodb.update_time_to_live(TableName=env[variable],
                                         TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl})
    session.client("ses").verify_email_identity(EmailAddress=env["MAIL_SENDER"])
    import secrets

    session.client("secretsmanager").create_secret(Name=env["CAPTCHA_SECRET_NAME"],
                                                   SecretString=secrets.token_hex(32))


def serialise_moto_dynamodb_writes() -> None:
    """Give moto's DynamoDB the isolation the real one has.

    moto rolls a failed transaction back by restoring a copy of each table it touched, which also
    erases writes that other threads made meanwhile. DynamoDB itself never does that, so concurrent
    tests and the threaded devserver run moto's writes one at a time. Idempotent.
    """
    import functools
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_writes_serialised", False):
        return
    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item"):
        original = getattr(DynamoDBBackend, name, None)
        if original is None:
            continue

        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, functools.wraps(original)(locked))
    DynamoDBBackend._writes_serialised = True
