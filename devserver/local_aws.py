"""Provision the embedded AWS (moto) the way infra/ provisions the real one: tables from the
PynamoDB models, the verified mail sender, the CAPTCHA key. Used by the devserver and the tests."""

from __future__ import annotations

from typing import Any

from functions.shared.store.models import MODELS, key_schema, table_env_var
from infra.routes import partial_session_routes

LOCAL_ENV = {
    "STAGE": "local",
    "PLAN": "caresource",
    "PORTAL_URL": "http://127.0.0.1:3000",
    "MAIL_SENDER": "no-reply@portal.example.org",
    **{table_env_var(logical): f"local-{logical.replace('_', '-')}" for logical in MODELS},
    "CAPTCHA_SECRET_NAME": "local/captcha-hmac-key",
    "MFA_KEY_ID": "alias/local-mfa",
    "PUSH_PLATFORM_ARN": "arn:aws:sns:us-east-1:123456789012:app/GCM/local-push",
    "PARTIAL_SESSION_ROUTES": partial_session_routes(),
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto's fake credentials
    "POWERTOOLS_SERVICE_NAME": "provider-portal",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}

def _key_schema(hash_key: tuple[str, str], range_key: tuple[str, str] | None) -> list[dict[str, str]]:
    keys = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        keys.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    return keys


def table_definition(logical: str, table_name: str) -> dict[str, Any]:
    schema = key_schema(MODELS[logical])
    attributes = {schema["hash_key"], *([schema["range_key"]] if schema["range_key"] else [])}
    definition: dict[str, Any] = {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _key_schema(schema["hash_key"], schema["range_key"]),
    }
    if schema["indexes"]:
        definition["GlobalSecondaryIndexes"] = [
            {"IndexName": index["name"], "KeySchema": _key_schema(index["hash_key"], index["range_key"]),
             "Projection": {"ProjectionType": index["projection"]}}
            for index in schema["indexes"]
        ]
        for index in schema["indexes"]:
            attributes |= {index["hash_key"], *([index["range_key"]] if index["range_key"] else [])}
    definition["AttributeDefinitions"] = [{"AttributeName": n, "AttributeType": t}
                                          for n, t in sorted(attributes)]
    return definition


def provision(env: dict[str, str], session: Any) -> None:
    """Create every table, verify the sender and store a CAPTCHA key, through `session` (boto3)."""
    dynamodb = session.client("dynamodb")
    for logical in MODELS:
        name = env[table_env_var(logical)]
        dynamodb.create_table(**table_definition(logical, name))
        ttl = key_schema(MODELS[logical])["ttl"]
        if ttl:
            dynamodb.update_time_to_live(TableName=name,
                                         TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl})
    session.client("ses").verify_email_identity(EmailAddress=env["MAIL_SENDER"])
    import secrets

    session.client("secretsmanager").create_secret(Name=env["CAPTCHA_SECRET_NAME"],
                                                   SecretString=secrets.token_hex(32))
    kms = session.client("kms")
    key_id = kms.create_key(Description="local MFA seeds")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=env["MFA_KEY_ID"], TargetKeyId=key_id)
    platform_name = env["PUSH_PLATFORM_ARN"].rsplit("/", 1)[-1]
    session.client("sns").create_platform_application(
        Name=platform_name, Platform="GCM", Attributes={"PlatformCredential": "local-fake-credential"})


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
