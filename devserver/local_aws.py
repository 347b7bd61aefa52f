"""Provision the embedded AWS the way infra/ provisions the real one: tables from the PynamoDB models
(on DynamoDB Local), the verified mail sender, the CAPTCHA key, the workflow (on moto). Used by the
devserver and the tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from functions.shared.store.models import MODELS, key_schema, table_env_var
from infra.capabilities import RESOURCES, ResourceName, resources_used
from infra.routes import ACCESS_WORKFLOW, AUTHORIZATION_CLOCK, FUNCTIONS, PORTAL_DATA_IMPORT, PROVIDER_EXPORT
from infra.routes import function as function_named

# One process serves every function, so it gets every variable: the common ones, every table's and
# every resource's of infra/capabilities.py.
LOCAL_ENV = {
    "STAGE": "local",
    "PLAN": "caresource",
    "PORTAL_URL": "http://127.0.0.1:3000",
    "MAIL_SENDER": "no-reply@portal.example.org",
    **{table_env_var(logical): f"local-{logical.replace('_', '-')}" for logical in MODELS},
    **{r.env: r.local for r in RESOURCES.values() if r.env and r.local is not None},
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto's fake credentials
    "POWERTOOLS_SERVICE_NAME": "provider-portal",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",  # EMF lines would only clutter the local console
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here (functions/shared/core/telemetry.py traced)
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
             "Projection": {"ProjectionType": index["projection"],
                            **({"NonKeyAttributes": index["non_key_attributes"]}
                               if index["non_key_attributes"] else {})}}
            for index in schema["indexes"]
        ]
        for index in schema["indexes"]:
            attributes |= {index["hash_key"], *([index["range_key"]] if index["range_key"] else [])}
    definition["AttributeDefinitions"] = [{"AttributeName": n, "AttributeType": t}
                                          for n, t in sorted(attributes)]
    if schema["stream"]:
        definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": schema["stream"]}
    return definition


def create_tables(env: dict[str, str], session: Any) -> None:
    """Every table of the models, with its indexes and TTL attribute."""
    dynamodb = session.client("dynamodb")
    for logical in MODELS:
        name = env[table_env_var(logical)]
        dynamodb.create_table(**table_definition(logical, name))
        ttl = key_schema(MODELS[logical])["ttl"]
        if ttl:
            dynamodb.update_time_to_live(TableName=name,
                                         TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl})


def delete_tables(env: dict[str, str], session: Any) -> None:
    dynamodb = session.client("dynamodb")
    for logical in MODELS:
        dynamodb.delete_table(TableName=env[table_env_var(logical)])


def empty_tables(env: dict[str, str], session: Any) -> None:
    """Delete every item of every table (tests only: tables there hold a few dozen items)."""
    dynamodb = session.client("dynamodb")
    for logical in MODELS:
        name = env[table_env_var(logical)]
        schema = key_schema(MODELS[logical])
        keys = [schema["hash_key"][0], *([schema["range_key"][0]] if schema["range_key"] else [])]
        pages = dynamodb.get_paginator("scan").paginate(
            TableName=name, ProjectionExpression=", ".join(f"#k{i}" for i in range(len(keys))),
            ExpressionAttributeNames={f"#k{i}": key for i, key in enumerate(keys)})
        for page in pages:
            items = page["Items"]
            for start in range(0, len(items), 25):
                batch = {name: [{"DeleteRequest": {"Key": item}} for item in items[start:start + 25]]}
                while batch:
                    batch = dynamodb.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}


def _verify_sender(env: dict[str, str], session: Any) -> None:
    session.client("ses").verify_email_identity(EmailAddress=env["MAIL_SENDER"])


MAIL_MAX_RECEIVES = 5  # as infra/constructs/notifications.py
MAIL_VISIBILITY_S = 30  # shorter than deployed (180 s): local retries come back sooner


def mail_dead_letters_url(env: dict[str, str]) -> str:
    return env["MAIL_QUEUE_URL"] + "-dead-letters"


def _mail_queue(env: dict[str, str], session: Any) -> None:
    """The mail queue and its dead-letter queue, as CDK makes them (drained by devserver/mail_queue.py)."""
    import json

    sqs = session.client("sqs")
    dead = sqs.create_queue(QueueName=mail_dead_letters_url(env).rsplit("/", 1)[-1])["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.create_queue(QueueName=env["MAIL_QUEUE_URL"].rsplit("/", 1)[-1], Attributes={
        "VisibilityTimeout": str(MAIL_VISIBILITY_S),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": MAIL_MAX_RECEIVES}),
    })


def _hmac_secret(variable: str) -> Callable[[dict[str, str], Any], None]:
    def provision(env: dict[str, str], session: Any) -> None:
        import secrets

        session.client("secretsmanager").create_secret(Name=env[variable], SecretString=secrets.token_hex(32))
    return provision


def _mfa_key(env: dict[str, str], session: Any) -> None:
    kms = session.client("kms")
    key_id = kms.create_key(Description="local MFA seeds")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=env["MFA_KEY_ID"], TargetKeyId=key_id)


def _push_platform(env: dict[str, str], session: Any) -> None:
    platform_name = env["PUSH_PLATFORM_ARN"].rsplit("/", 1)[-1]
    session.client("sns").create_platform_application(
        Name=platform_name, Platform="GCM", Attributes={"PlatformCredential": "local-fake-credential"})


def _roster_bucket(env: dict[str, str], session: Any) -> None:
    session.client("s3").create_bucket(Bucket=env["ROSTER_BUCKET"])


def _portal_data_bucket(env: dict[str, str], session: Any) -> None:
    """The bucket, and the local stand-in for GuardDuty's malware scan of its attachments (devserver/malware_scan.py):
    each new object under attachments/ is queued for the local scanner."""
    from devserver.malware_scan import SCAN_QUEUE
    from functions.shared.store.attachment_files import PREFIX

    s3, sqs = session.client("s3"), session.client("sqs")
    s3.create_bucket(Bucket=env["PORTAL_DATA_BUCKET"])
    # a notification whose request is not stored yet comes back after a second, not SQS's default 30
    queue = sqs.create_queue(QueueName=SCAN_QUEUE, Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=env["PORTAL_DATA_BUCKET"], NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"], "Filter": {
            "Key": {"FilterRules": [{"Name": "prefix", "Value": PREFIX}]}}}]})


def _audit_archive_bucket(env: dict[str, str], session: Any) -> None:
    """As in AWS: Object Lock in compliance mode, six years (locally nothing streams into it yet; the
    archive function is run on stream events by its tests)."""
    s3 = session.client("s3")
    s3.create_bucket(Bucket=env["AUDIT_ARCHIVE_BUCKET"], ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=env["AUDIT_ARCHIVE_BUCKET"], ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 6}}})


def _nothing(env: dict[str, str], session: Any) -> None:
    """SMS needs no set-up; the session routes are a value, not a resource."""


def provision(env: dict[str, str], session: Any) -> None:
    """Create every table and every resource some function of FUNCTIONS uses, through `session` (boto3)."""
    create_tables(env, session)
    for resource in resources_used(tuple(c for f in FUNCTIONS for c in f.uses)):
        PROVISIONERS[resource](env, session)


WORKFLOWS = Path(__file__).resolve().parent.parent / "infra" / "workflows"


def lambda_name(function: str) -> str:
    return "local-" + function.replace("_", "-")


def _state_machine(env: dict[str, str], session: Any, asl: str, placeholder: str, task: str, arn_var: str) -> None:
    """A state machine from the same ASL file CDK deploys, its Lambda task run in-process by moto."""
    import io
    import zipfile

    iam = session.client("iam")
    role_name = lambda_name(task) + "-role"
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument="{}")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:  # moto needs some code; the real handler runs instead
        zipped.writestr("placeholder.py", "")
    function = session.client("lambda").create_function(
        FunctionName=lambda_name(task), Runtime="python3.12", Role=role["Role"]["Arn"],
        Handler="placeholder.handler", Code={"ZipFile": archive.getvalue()})
    definition = (WORKFLOWS / asl).read_text().replace("${" + placeholder + "}", function["FunctionArn"])
    session.client("stepfunctions").create_state_machine(name=env[arn_var].rsplit(":", 1)[-1], definition=definition,
                                                         roleArn=role["Role"]["Arn"], type="STANDARD")


def _provision_workflow(env: dict[str, str], session: Any) -> None:
    _state_machine(env, session, "access_approval.asl.json", "WorkflowFunction", ACCESS_WORKFLOW,
                   "ACCESS_WORKFLOW_ARN")


def _provision_authorization_clock(env: dict[str, str], session: Any) -> None:
    _state_machine(env, session, "authorization_clock.asl.json", "ClockFunction", AUTHORIZATION_CLOCK,
                   "AUTHORIZATION_CLOCK_ARN")


def _provision_provider_export(env: dict[str, str], session: Any) -> None:
    _state_machine(env, session, "provider_export.asl.json", "ExportFunction", PROVIDER_EXPORT, "PROVIDER_EXPORT_ARN")


def _provision_portal_data_import(env: dict[str, str], session: Any) -> None:
    _state_machine(env, session, "portal_data_import.asl.json", "ImportFunction", PORTAL_DATA_IMPORT,
                   "PORTAL_DATA_IMPORT_ARN")


# How each resource of infra/capabilities.py is set up on the embedded AWS.
PROVISIONERS: dict[ResourceName, Callable[[dict[str, str], Any], None]] = {
    "mail": _verify_sender,
    "mail_queue": _mail_queue,
    "phone_numbers": _nothing,
    "push_platform": _push_platform,
    "mfa_key": _mfa_key,
    "captcha_secret": _hmac_secret("CAPTCHA_SECRET_NAME"),
    "cursor_secret": _hmac_secret("CURSOR_SECRET_NAME"),
    "access_workflow": _provision_workflow,
    "authorization_clock": _provision_authorization_clock,
    "roster_bucket": _roster_bucket,
    "portal_data_bucket": _portal_data_bucket,
    "audit_archive_bucket": _audit_archive_bucket,
    "session_routes": _nothing,
    "provider_export": _provision_provider_export,
    "portal_data_import": _provision_portal_data_import,
}


def run_lambdas_in_process() -> None:
    """Make moto's Lambda run our real handlers in this process (Step Functions tasks, S3 triggers).

    moto can only run function code in Docker; its Docker-free backend echoes. This swaps the echo
    for `functions.<name>.handler.lambda_handler`. Idempotent.
    """
    import importlib
    import json

    from moto.awslambda_simple.models import LambdaSimpleBackend

    from devserver.gateway import LambdaContext

    if getattr(LambdaSimpleBackend, "_runs_handlers", False):
        return
    names = {lambda_name(f.name): f.name for f in FUNCTIONS}

    def invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any,
               response_headers: Any) -> bytes:
        short = function_name.rsplit(":", 1)[-1]
        function = names[short]
        handler = importlib.import_module(f"functions.{function}.handler").lambda_handler
        event = json.loads(body) if body else {}
        return json.dumps(handler(event, LambdaContext(function_named(function), LOCAL_ENV["AWS_REGION"]))).encode()

    LambdaSimpleBackend.invoke = invoke
    LambdaSimpleBackend._runs_handlers = True
