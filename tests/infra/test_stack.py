"""The dev stack as synthesized by the real app, with cdk-nag (one synth per session, see conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw

from functions.shared.core.config import Settings
from functions.shared.store.models import MODELS, SHARED_TABLE_MODELS, key_schema, table_env_var
from infra import nag
from infra.capabilities import (
    CAPABILITIES,
    COMMON_ENV,
    RESOURCE_POLICY_TARGETS,
    RESOURCES,
    TABLE_ACTIONS,
    Target,
    grants,
    resources_used,
)
from infra.constructs.functions import NOT_YET_PROVIDED, RUNTIME_PROVIDED, VIEWER_ADDRESS_ENV
from infra.constructs.storage import (
    ATTACHMENTS_PREFIX,
    IMPORT_WORK_PREFIX,
    INCOMING_PREFIX,
    PROVIDER_EXPORTS_PREFIX,
    REPORTS_PREFIX,
)
from infra.constructs.workflows import authorization_clock_arn, portal_data_import_arn, provider_export_arn
from infra.gateway_problems import GATEWAY_MESSAGE, GATEWAY_PROBLEMS, UNKNOWN_ADDRESS
from infra.routes import AUDIT_ARCHIVE, AUTHORIZER, FUNCTIONS, ROUTES, Capability, Function, partial_session_routes
from tests.infra.helpers import (
    Synth,
    actions,
    as_list,
    logical_id,
    refs,
    resource_path,
    resources,
    role_statements,
)

# --- cdk-nag ----------------------------------------------------------------------------------------


def test_synth_with_nag_leaves_no_unacknowledged_finding(dev: Synth) -> None:
    # The fixture's synth raises on any finding; the report must also hold no violation.
    report_file = dev.outdir / "validation-report.json"
    if report_file.exists():
        report = json.loads(report_file.read_text())
        assert [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])] == []
    assert [s.stack_name for s in dev.stacks] == ["ProviderPortal-dev-caresource"]


def test_every_acknowledgement_has_a_specific_reason(dev: Synth) -> None:
    for _, rule, reason in nag.acknowledgements(dev.stack):
        assert rule.strip()
        assert len(reason.strip()) >= 60, f"{rule}: the reason must explain why, specifically"
    recorded = [
        (construct.node.path, rule, reason)
        for construct in {target.node.path: target for target, _, _ in nag.acknowledgements(dev.stack)}.values()
        for entry in construct.node.metadata
        if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for rule, reason in entry.data.items()
    ]
    assert recorded, "acknowledgements are recorded on the constructs"
    assert all(reason.strip() for _, _, reason in recorded)
    # Acknowledgements sit on the constructs concerned, never on the whole stack or app.
    assert all(path.count("/") >= 2 for path, _, _ in recorded)


def test_every_acknowledgement_applies_to_something_in_the_stack(dev: Synth) -> None:
    for ack in nag.ACKNOWLEDGEMENTS:
        assert list(ack.targets(dev.stack)), f"{ack.rule} acknowledges nothing: drop it or fix its targets"


# --- tables -----------------------------------------------------------------------------------------


def test_one_table_per_model_with_the_models_keys(dev: Synth, template: dict) -> None:
    tables = resources(template, "AWS::DynamoDB::Table")
    assert len(tables) == len(MODELS)
    key_id = logical_id(dev.stack, dev.stack.tables.key)
    for logical, model in MODELS.items():
        props = tables[logical_id(dev.stack, dev.stack.tables.tables[logical])]["Properties"]
        schema = key_schema(model)
        expected_keys = [{"AttributeName": schema["hash_key"][0], "KeyType": "HASH"}]
        expected_attrs = [{"AttributeName": schema["hash_key"][0], "AttributeType": schema["hash_key"][1]}]
        if schema["range_key"]:
            expected_keys.append({"AttributeName": schema["range_key"][0], "KeyType": "RANGE"})
            expected_attrs.append(
                {"AttributeName": schema["range_key"][0], "AttributeType": schema["range_key"][1]}
            )
        assert props["KeySchema"] == expected_keys, logical
        indexes = props.get("GlobalSecondaryIndexes", [])
        assert [i["IndexName"] for i in indexes] == [i["name"] for i in schema["indexes"]], logical
        for index, expected in zip(indexes, schema["indexes"], strict=True):
            index_keys = [{"AttributeName": expected["hash_key"][0], "KeyType": "HASH"}]
            if expected["range_key"]:
                index_keys.append({"AttributeName": expected["range_key"][0], "KeyType": "RANGE"})
            assert index["KeySchema"] == index_keys
            assert index["Projection"]["ProjectionType"] == expected["projection"]
            assert index["Projection"].get("NonKeyAttributes", []) == expected["non_key_attributes"]
            for name, type_ in filter(None, (expected["hash_key"], expected["range_key"])):
                if {"AttributeName": name, "AttributeType": type_} not in expected_attrs:
                    expected_attrs.append({"AttributeName": name, "AttributeType": type_})
        assert sorted(props["AttributeDefinitions"], key=str) == sorted(expected_attrs, key=str), logical
        if schema["ttl"]:
            assert props["TimeToLiveSpecification"] == {"AttributeName": schema["ttl"], "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in props
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        sse = props["SSESpecification"]
        assert sse["SSEEnabled"] is True and sse["SSEType"] == "KMS"
        assert list(refs(sse["KMSMasterKeyId"])) == [key_id]
        assert not props.get("DeletionProtectionEnabled", False), "dev tables can be deleted"
    key = template["Resources"][key_id]
    assert key["Properties"]["EnableKeyRotation"] is True


def _gsi(template: dict, dev: Synth, table: str, index: str) -> tuple[dict, dict[str, str]]:
    props = template["Resources"][logical_id(dev.stack, dev.stack.tables.tables[table])]["Properties"]
    (gsi,) = [i for i in props["GlobalSecondaryIndexes"] if i["IndexName"] == index]
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    return gsi, types


def test_provider_tables_and_their_indexes(dev: Synth, template: dict) -> None:
    # Provider rows per roster version; a group link finds every provider of a Tax ID in one version.
    gsi, types = _gsi(template, dev, "providers", "by-tax-id")
    assert gsi["KeySchema"] == [{"AttributeName": "tax_id", "KeyType": "HASH"},
                                {"AttributeName": "roster_version", "KeyType": "RANGE"}]
    assert types["tax_id"] == "S" and types["roster_version"] == "N"
    assert gsi["Projection"] == {"ProjectionType": "ALL"}
    gsi, types = _gsi(template, dev, "links", "by-provider")
    assert [k["AttributeName"] for k in gsi["KeySchema"]] == ["provider_id", "account_id"]
    # Staff see pending agreements oldest first; only pending items carry pending_status (sparse).
    gsi, types = _gsi(template, dev, "org_agreements", "pending")
    assert gsi["KeySchema"] == [{"AttributeName": "pending_status", "KeyType": "HASH"},
                                {"AttributeName": "pending_since", "KeyType": "RANGE"}]
    assert types["pending_status"] == "S" and types["pending_since"] == "S"
    props = template["Resources"][logical_id(dev.stack, dev.stack.tables.tables["org_agreements"])]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "tax_id", "KeyType": "HASH"}]
    props = template["Resources"][logical_id(dev.stack, dev.stack.tables.tables["consents"])]["Properties"]
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["account_id", "document"]


def test_models_sharing_a_table_have_its_keys() -> None:
    for logical, model in SHARED_TABLE_MODELS.items():
        shared, owner = key_schema(model), key_schema(MODELS[logical])
        assert (shared["hash_key"], shared["range_key"]) == (owner["hash_key"], owner["range_key"]), logical
        assert not shared["indexes"], f"{logical}: indexes belong on the table's own model"


def test_tables_are_in_a_backup_plan(template: dict) -> None:
    selection = next(iter(resources(template, "AWS::Backup::BackupSelection").values()))
    selected = set(refs(selection["Properties"]["BackupSelection"]["Resources"]))
    assert selected == set(resources(template, "AWS::DynamoDB::Table"))


# --- functions --------------------------------------------------------------------------------------


def _function(dev: Synth, template: dict, name: str) -> dict:
    return template["Resources"][logical_id(dev.stack, dev.stack.functions.functions[name])]


def test_one_lambda_per_function_entry(dev: Synth, template: dict) -> None:
    lambdas = resources(template, "AWS::Lambda::Function")
    # Besides ours, only CDK's deploy-time handlers: the import buckets' notifications, the pages' copy.
    deploy_time = {k for k in lambdas
                   if k.startswith((nag.BUCKET_NOTIFICATIONS_HANDLER, "CustomCDKBucketDeployment"))}
    assert len(deploy_time) == 2
    assert len(lambdas) - len(deploy_time) == len(FUNCTIONS)
    layer_id = logical_id(dev.stack, dev.stack.layer.layer)
    layer = template["Resources"][layer_id]["Properties"]
    for spec in FUNCTIONS:
        props = _function(dev, template, spec.name)["Properties"]
        assert props["Handler"] == f"functions.{spec.name}.handler.lambda_handler"
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == layer["CompatibleArchitectures"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["MemorySize"] == spec.memory_mb and props["Timeout"] == spec.timeout_s
        # Each function ships only what it imports: the shared layer, plus a layer of its own for the
        # packages only it uses (the FHIR models of the portal-data import).
        extra = [logical_id(dev.stack, dev.stack.layer.layer_for(spec.requirements))] if spec.requirements else []
        # CDK sorts a function's layers (by their tokens, to version the function): the two share no files.
        assert sorted(refs(props["Layers"])) == sorted([layer_id, *extra])
        log_group = template["Resources"][next(refs(props["LoggingConfig"]["LogGroup"]))]["Properties"]
        assert log_group["RetentionInDays"] == 30 and "KmsKeyId" in log_group


def _uses(dev: Synth, spec: Function) -> tuple[Capability, ...]:
    """The capabilities of `spec` the dev stack gives: the dev stage has none of the optional resources
    (a push platform application), so their capabilities drop out (test_app.py covers prod with push)."""
    assert dev.stack.config.push_platform_arn is None
    return tuple(c for c in spec.uses if not RESOURCES[CAPABILITIES[c].resource].optional)


def test_settings_fields_left_unset_are_known_and_optional() -> None:
    # A new Settings field fails here until infra sets it (or lists it as not yet provided).
    fields = {field.alias: field for field in Settings.model_fields.values() if field.alias}
    assert set(fields) >= NOT_YET_PROVIDED, "drop fields the model no longer has"
    assert not any(fields[alias].is_required() for alias in NOT_YET_PROVIDED)
    set_by_infra = set(COMMON_ENV) | {r.env for r in RESOURCES.values() if r.env} | {VIEWER_ADDRESS_ENV}
    assert set(fields) - set_by_infra - RUNTIME_PROVIDED == NOT_YET_PROVIDED
    assert set_by_infra <= set(fields), "every capability's variable is a Settings field"
    assert all(fields[r.env].is_required() is False for r in RESOURCES.values() if r.env)


def test_function_environment_is_exactly_the_settings_model(dev: Synth, template: dict) -> None:
    assert dev.stack.workflows is not None
    workflow_arn = dev.stack.resolve(dev.stack.workflows.arn)
    values = {
        "CAPTCHA_SECRET_NAME": dev.stack.secrets.captcha_name,
        "CURSOR_SECRET_NAME": dev.stack.secrets.cursor_name,
        "MFA_KEY_ID": {"Fn::GetAtt": [logical_id(dev.stack, dev.stack.secrets.mfa_key), "Arn"]},
        "ACCESS_WORKFLOW_ARN": workflow_arn,
        "AUTHORIZATION_CLOCK_ARN": dev.stack.resolve(authorization_clock_arn(dev.stack, dev.stack.config)),
        "PROVIDER_EXPORT_ARN": dev.stack.resolve(provider_export_arn(dev.stack, dev.stack.config)),
        "PORTAL_DATA_IMPORT_ARN": dev.stack.resolve(portal_data_import_arn(dev.stack, dev.stack.config)),
        "ROSTER_BUCKET": {"Ref": logical_id(dev.stack, dev.stack.storage.bucket)},
        "PORTAL_DATA_BUCKET": {"Ref": logical_id(dev.stack, dev.stack.portal_data.bucket)},
        "AUDIT_ARCHIVE_BUCKET": {"Ref": logical_id(dev.stack, dev.stack.audit_archive.bucket)},
        "PARTIAL_SESSION_ROUTES": partial_session_routes(),
        "MAIL_QUEUE_URL": {"Ref": logical_id(dev.stack, dev.stack.notifications.queue)},
    }
    assert set(values) == {r.env for r in RESOURCES.values() if r.env and not r.optional}
    for spec in FUNCTIONS:
        env = _function(dev, template, spec.name)["Properties"]["Environment"]["Variables"]
        expected = set(COMMON_ENV) | {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL"}
        expected |= {table_env_var(t) for t in spec.tables}  # only the tables it may use
        # only the variables of the resources its capabilities reach
        expected |= {RESOURCES[r].env for r in resources_used(_uses(dev, spec)) if RESOURCES[r].env}
        # functions of routes behind CloudFront take the client from CloudFront-Viewer-Address; the staff
        # functions (IAM routes, called on the execute-api URL) and the non-HTTP ones never do
        viewer_facing = any(r.function == spec.name and not r.iam for r in ROUTES)
        expected |= {VIEWER_ADDRESS_ENV} if viewer_facing else set()
        assert set(env) == expected, spec.name
        assert env.get(VIEWER_ADDRESS_ENV) == ("true" if viewer_facing else None), spec.name
        for variable in set(env) & set(values):
            assert env[variable] == values[variable], (spec.name, variable)
        assert ("PARTIAL_SESSION_ROUTES" in env) == (spec.name == AUTHORIZER)
        assert env["STAGE"] == "dev" and env["PLAN"] == "caresource"
        assert env["PORTAL_URL"] == dev.stack.resolve(dev.stack.web.url)  # what the distribution serves
        assert env["MAIL_SENDER"] == dev.stack.config.mail_sender
        for logical in spec.tables:
            assert env[table_env_var(logical)] == {"Ref": logical_id(dev.stack, dev.stack.tables.tables[logical])}


def test_function_code_holds_only_shared_code_and_its_own_folder(dev: Synth, template: dict) -> None:
    for spec in FUNCTIONS:
        root = dev.asset_dir(_function(dev, template, spec.name)["Properties"]["Code"])
        files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
        assert "functions/__init__.py" in files
        assert f"functions/{spec.name}/__init__.py" in files
        for file in files:
            assert file == "functions/__init__.py" or file.startswith(
                ("functions/shared/", f"functions/{spec.name}/")
            ), file
            assert "__pycache__" not in file and not file.endswith(".pyc")


def test_each_role_grants_only_the_listed_tables(dev: Synth, template: dict) -> None:
    table_ids = {logical: logical_id(dev.stack, t) for logical, t in dev.stack.tables.tables.items()}
    for spec in FUNCTIONS:
        statements = role_statements(template, logical_id(dev.stack, dev.stack.functions.roles[spec.name]))
        dynamo = [s for s in statements if any(a.startswith("dynamodb:") and a not in STREAM_READS
                                               for a in actions(s))]
        granted = {ref for s in dynamo for ref in refs(s["Resource"])}
        assert granted == {table_ids[t] for t in spec.tables}, spec.name
        for logical, access in spec.tables.items():
            table_actions = {a for s in dynamo if table_ids[logical] in refs(s["Resource"]) for a in actions(s)}
            assert table_actions == set(TABLE_ACTIONS[access]), (spec.name, logical)
        assert all(s["Effect"] == "Allow" for s in statements)


# Reading a table's stream: only the audit archive, through its event source (and ListStreams on '*').
STREAM_READS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}


def _table_statements(dev: Synth, template: dict, function: str, table: str) -> list[dict]:
    table_id = logical_id(dev.stack, dev.stack.tables.tables[table])
    statements = role_statements(template, logical_id(dev.stack, dev.stack.functions.roles[function]))
    return [s for s in statements if any(a.startswith("dynamodb:") for a in actions(s))
            and table_id in refs(s["Resource"])]


def test_no_function_may_scan_and_only_deleting_functions_may_delete(dev: Synth, template: dict) -> None:
    for spec in FUNCTIONS:
        statements = role_statements(template, logical_id(dev.stack, dev.stack.functions.roles[spec.name]))
        granted = {a for s in statements for a in actions(s)}
        assert "dynamodb:Scan" not in granted and "dynamodb:*" not in granted, spec.name
        assert bool(STREAM_READS & granted) == (spec.name == AUDIT_ARCHIVE), spec.name
        deletes = {t for t, access in spec.tables.items() if access == "write_delete"}
        for logical in spec.tables:
            table_actions = {a for s in _table_statements(dev, template, spec.name, logical) for a in actions(s)}
            assert ("dynamodb:DeleteItem" in table_actions) == (logical in deletes), (spec.name, logical)


def test_audit_records_can_only_be_inserted(dev: Synth, template: dict) -> None:
    """No function may read, scan, update or delete audit records: PutItem only (and every put carries
    attribute_not_exists, tests/integration/test_audit_integrity.py)."""
    writers = [spec.name for spec in FUNCTIONS if "audit" in spec.tables]
    assert len(writers) > 10
    for name in writers:
        statements = _table_statements(dev, template, name, "audit")
        assert {a for s in statements for a in actions(s)} == {"dynamodb:PutItem"}, name
        table_arn = {"Fn::GetAtt": [logical_id(dev.stack, dev.stack.tables.tables["audit"]), "Arn"]}
        assert [s["Resource"] for s in statements] == [table_arn], name  # the table, not its indexes


def test_the_authorizer_only_updates_sessions_and_accounts_by_key(dev: Synth, template: dict) -> None:
    """It refreshes a session and, once a day, the account's activity day: UpdateItem on the two tables."""
    statements = role_statements(template, logical_id(dev.stack, dev.stack.functions.roles[AUTHORIZER]))
    dynamo = [s for s in statements if any(a.startswith("dynamodb:") for a in actions(s))]
    assert {a for s in dynamo for a in actions(s)} == {"dynamodb:UpdateItem"}
    tables = dev.stack.tables.tables
    expected = [{"Fn::GetAtt": [logical_id(dev.stack, tables[name]), "Arn"]} for name in ("sessions", "accounts")]
    granted = [r for s in dynamo for r in as_list(s["Resource"])]
    assert sorted(map(str, granted)) == sorted(map(str, expected))  # the tables themselves, no index


def test_linking_reads_only_the_payment_index_of_the_claims(dev: Synth, template: dict) -> None:
    """Checking a first administrator's payment needs amounts, never a claim (PHI): Query on the claims'
    indexes, whose only index projects the amount alone."""
    (statement,) = _table_statements(dev, template, "link_provider", "claims")
    assert actions(statement) == ["dynamodb:Query"]
    claims_id = logical_id(dev.stack, dev.stack.tables.tables["claims"])
    assert statement["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [claims_id, "Arn"]}, "/index/*"]]}
    indexes = template["Resources"][claims_id]["Properties"]["GlobalSecondaryIndexes"]
    assert [(i["IndexName"], i["Projection"]) for i in indexes] == [
        ("by-payment", {"NonKeyAttributes": ["payment_cents"], "ProjectionType": "INCLUDE"})]


def test_register_cannot_touch_the_sessions_table(dev: Synth, template: dict) -> None:
    sessions = logical_id(dev.stack, dev.stack.tables.tables["sessions"])
    statements = role_statements(template, logical_id(dev.stack, dev.stack.functions.roles["register"]))
    assert statements
    assert sessions not in {ref for s in statements for ref in refs(s)}


def test_mail_sms_and_secret_permissions_follow_the_function_entry(dev: Synth, template: dict) -> None:
    secret_id = logical_id(dev.stack, dev.stack.secrets.captcha)
    cursor_id = logical_id(dev.stack, dev.stack.secrets.cursor)
    for spec in FUNCTIONS:
        statements = role_statements(template, logical_id(dev.stack, dev.stack.functions.roles[spec.name]))
        ses = [s for s in statements if any(a.startswith("ses:") for a in actions(s))]
        queue = [s for s in statements if any(a.startswith("sqs:") for a in actions(s))
                 and logical_id(dev.stack, dev.stack.notifications.queue) in set(refs(s["Resource"]))]
        assert bool(queue) == bool({"sends_mail", "delivers_mail"} & set(spec.uses)), spec.name
        if "sends_mail" in spec.uses:  # queues mail, never sends it or reads the queue
            assert {a for s in queue for a in actions(s)} == {"sqs:SendMessage"}
        if "delivers_mail" in spec.uses:
            assert len(ses) == 1
            assert ses[0]["Condition"] == {"StringEquals": {"ses:FromAddress": dev.stack.config.mail_sender}}
            assert logical_id(dev.stack, dev.stack.notifications.identity) in set(refs(ses[0]["Resource"]))
        else:
            assert ses == []
        sns = [s for s in statements if "sns:Publish" in actions(s)]
        assert bool(sns) == ("sends_sms" in spec.uses)
        secret = [s for s in statements if any(a.startswith("secretsmanager:") for a in actions(s))]
        read = {ref for s in secret for ref in refs(s["Resource"])}
        assert (secret_id in read) == ("reads_captcha_secret" in spec.uses), spec.name
        assert (cursor_id in read) == ("seals_cursors" in spec.uses), spec.name
        assert read <= {secret_id, cursor_id}, spec.name
        mfa_key_id = logical_id(dev.stack, dev.stack.secrets.mfa_key)
        mfa = [s for s in statements if mfa_key_id in set(refs(s.get("Resource")))]
        assert bool(mfa) == ("uses_mfa_key" in spec.uses), spec.name
        if mfa:
            assert {a for s in mfa for a in actions(s)} == {"kms:Encrypt", "kms:Decrypt"}
        wildcard = [s for s in statements if s.get("Resource") == "*"]
        # ListStreams has no resource-level permission: the audit archive's stream event source needs it
        allowed = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} | (
            {"dynamodb:ListStreams"} if spec.name == AUDIT_ARCHIVE else set())
        assert {a for s in wildcard for a in actions(s)} <= allowed, spec.name


def _norm(value: object) -> frozenset[str]:
    return frozenset(json.dumps(item, sort_keys=True) for item in as_list(value))


def _target_resources(dev: Synth) -> dict[Target, tuple[str, frozenset[str]]]:
    """Where each grant target of infra/capabilities.py is in the dev stack: ('Resource' or 'NotResource',
    the resolved resources). Push targets are absent: the dev stage has no push platform application."""
    stack = dev.stack
    assert stack.workflows is not None

    def resource(*values: object) -> tuple[str, frozenset[str]]:
        return "Resource", _norm([stack.resolve(v) for v in values])

    return {
        "mail_identity": resource(stack.notifications.identity.email_identity_arn,
                                  stack.notifications.configuration_set_arn),
        "mail_queue": resource(stack.notifications.queue.queue_arn),
        "mail_queue_key": resource(stack.notifications.queue_key.key_arn),
        "phone_numbers": ("NotResource", _norm("arn:*:sns:*:*:*")),
        "mfa_key": resource(stack.secrets.mfa_key.key_arn),
        "captcha_secret": resource(stack.secrets.captcha.secret_arn),
        "cursor_secret": resource(stack.secrets.cursor.secret_arn),
        "access_workflow": resource(stack.workflows.arn),
        "authorization_clock": resource(authorization_clock_arn(stack, stack.config)),
        "provider_export": resource(provider_export_arn(stack, stack.config)),
        "portal_data_import": resource(portal_data_import_arn(stack, stack.config)),
        "portal_data_import_work": resource(stack.portal_data.bucket.arn_for_objects(f"{IMPORT_WORK_PREFIX}*")),
        "roster_incoming": resource(stack.storage.bucket.arn_for_objects(f"{INCOMING_PREFIX}*")),
        "roster_reports": resource(stack.storage.bucket.arn_for_objects(f"{REPORTS_PREFIX}*")),
        "roster_key": resource(stack.storage.key.key_arn),
        "portal_data_incoming": resource(stack.portal_data.bucket.arn_for_objects(f"{INCOMING_PREFIX}*")),
        "portal_data_exports": resource(stack.portal_data.bucket.arn_for_objects("exports/*")),
        "portal_data_reports": resource(stack.portal_data.bucket.arn_for_objects(f"{REPORTS_PREFIX}*")),
        "portal_data_key": resource(stack.portal_data.key.key_arn),
        "portal_data_attachments": resource(stack.portal_data.bucket.arn_for_objects(f"{ATTACHMENTS_PREFIX}*")),
        "portal_data_provider_exports": resource(
            stack.portal_data.bucket.arn_for_objects(f"{PROVIDER_EXPORTS_PREFIX}*")),
        "portal_data_pa_metrics": resource(stack.portal_data.bucket.arn_for_objects("pa-metrics/published/*")),
        "portal_data_pa_metrics_basis": resource(stack.portal_data.bucket.arn_for_objects("pa-metrics/basis/*")),
        "portal_data_pa_metrics_list": resource(stack.portal_data.bucket.bucket_arn),
        "audit_archive_objects": resource(stack.audit_archive.bucket.arn_for_objects("audit/*")),
        "audit_archive_key": resource(stack.audit_archive.key.key_arn),
    }


def test_each_role_grants_exactly_what_its_function_entry_declares(dev: Synth, template: dict) -> None:
    """Beyond its tables, logs, traces (and dead letters), a role holds the grants of its capabilities."""
    stack = dev.stack
    where = {place: target for target, place in _target_resources(dev).items()}
    assert len(where) == len(_target_resources(dev)), "targets resolve to distinct resources"
    for spec in FUNCTIONS:
        role_id = logical_id(stack, stack.functions.roles[spec.name])
        log_group = next(refs(_function(dev, template, spec.name)["Properties"]["LoggingConfig"]["LogGroup"]))
        own = {logical_id(stack, stack.tables.key), log_group}  # table data keys, its log group
        queue = stack.functions.dead_letter_queues.get(spec.name)
        if queue is not None:  # its dead-letter queue and that queue's key
            queue_id = logical_id(stack, queue)
            own |= {queue_id, *refs(template["Resources"][queue_id]["Properties"]["KmsMasterKeyId"])}
        granted: set[tuple[Target, str]] = set()
        for statement in role_statements(template, role_id):
            names = actions(statement)
            if all(a.startswith(("dynamodb:", "xray:")) for a in names):
                continue  # tables: test_each_role_grants_only_the_listed_tables; xray: '*' only, above
            kind = "NotResource" if "NotResource" in statement else "Resource"
            # CDK may merge a dead-letter grant with a capability's into one statement: drop its own parts
            value = [r for r in as_list(statement[kind]) if kind == "NotResource" or not set(refs(r)) or
                     not set(refs(r)) <= own]
            if not value:
                continue
            place = (kind, _norm(value))
            # CDK also merges grants of one action on several targets into one statement: one target each
            places = [place] if place in where else [(kind, _norm([r])) for r in value]
            assert all(p in where for p in places), (spec.name, statement)
            granted |= {(where[p], a) for p in places for a in names}
        declared = {(g.target, a) for g in grants(_uses(dev, spec)) if g.target not in RESOURCE_POLICY_TARGETS
                    for a in g.actions}
        assert granted == declared, spec.name
    # Grants in resource policies (the secrets' key): exactly the functions that declare them.
    role_ids = {logical_id(stack, role): name for name, role in stack.functions.roles.items()}
    key_targets: dict[str, Target] = {logical_id(stack, stack.secrets.key): "secrets_key"}
    in_key_policies: set[tuple[str, Target, str]] = set()
    for key_id, key in resources(template, "AWS::KMS::Key").items():
        for statement in key["Properties"]["KeyPolicy"]["Statement"]:
            named = set(refs(statement.get("Principal"))) & set(role_ids)
            for role_id in named:
                assert key_id in key_targets, (key_id, role_ids[role_id])
                assert "kms:ViaService" in statement["Condition"]["StringEquals"]
                in_key_policies |= {(role_ids[role_id], key_targets[key_id], a) for a in actions(statement)}
    assert in_key_policies == {(spec.name, g.target, a) for spec in FUNCTIONS for g in grants(_uses(dev, spec))
                               if g.target in RESOURCE_POLICY_TARGETS for a in g.actions}


# --- API --------------------------------------------------------------------------------------------


def test_every_download_is_bytes_whatever_the_client_accepts(template: dict) -> None:
    """API Gateway decodes a function's base64 answer only when the request's first Accept type is a binary
    media type: */* makes that every request (a browser's, curl's, a generated client's)."""
    (api,) = resources(template, "AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["BinaryMediaTypes"] == ["*/*"]


def test_authorizer_is_a_request_authorizer_without_cache(dev: Synth, template: dict) -> None:
    (authorizer,) = resources(template, "AWS::ApiGateway::Authorizer").values()
    props = authorizer["Properties"]
    assert props["Type"] == "REQUEST" and props["AuthorizerResultTtlInSeconds"] == 0
    assert props["IdentitySource"] == "method.request.header.Cookie"
    assert logical_id(dev.stack, dev.stack.functions.functions[AUTHORIZER]) in set(refs(props["AuthorizerUri"]))


def test_one_method_per_route_with_proxy_integration_and_validator(dev: Synth, template: dict) -> None:
    methods = {k: m for k, m in resources(template, "AWS::ApiGateway::Method").items()
               if m["Properties"]["HttpMethod"] != "ANY"}
    assert len(methods) == len(ROUTES)
    validators = resources(template, "AWS::ApiGateway::RequestValidator")
    assert len(validators) == 1
    validator_id, validator = next(iter(validators.items()))
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True

    found = {}
    for method in methods.values():
        props = method["Properties"]
        found[(props["HttpMethod"], resource_path(template, props["ResourceId"].get("Ref")))] = props
    for route in ROUTES:
        props = found[(route.method, route.path)]
        assert props["Integration"]["Type"] == "AWS_PROXY"
        assert logical_id(dev.stack, dev.stack.functions.functions[route.function]) in set(
            refs(props["Integration"]["Uri"])
        )
        assert props["RequestValidatorId"] == {"Ref": validator_id}
        expected = "NONE" if route.public else "AWS_IAM" if route.iam else "CUSTOM"
        assert props["AuthorizationType"] == expected, (route.method, route.path)
        assert ("AuthorizerId" in props) == (expected == "CUSTOM"), (route.method, route.path)


def test_stage_logs_traces_and_throttles(dev: Synth, template: dict) -> None:
    stage = next(iter(resources(template, "AWS::ApiGateway::Stage").values()))["Properties"]
    throttling = dev.stack.config.throttling
    assert stage["StageName"] == "dev"
    assert stage["TracingEnabled"] is True
    fields = json.loads(stage["AccessLogSetting"]["Format"])
    assert {"requestId", "sourceIp", "status", "resourcePath"} <= set(fields)
    log_group = template["Resources"][next(refs(stage["AccessLogSetting"]["DestinationArn"]))]["Properties"]
    assert "KmsKeyId" in log_group
    (settings,) = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == throttling.rate_limit
    assert settings["ThrottlingBurstLimit"] == throttling.burst_limit
    assert settings["LoggingLevel"] == "ERROR" and settings["DataTraceEnabled"] is False


def _gateway_body(template_text: str) -> dict:
    """A gateway response or MOCK body with API Gateway's substitutions made up."""
    return json.loads(template_text.replace(GATEWAY_MESSAGE, '"API Gateway\'s message"'))


def _method_path(template: dict, method: dict) -> str:
    resource = method["ResourceId"]
    if "Fn::GetAtt" in resource:  # the API's root resource
        return "/"
    return resource_path(template, resource.get("Ref"))


def test_every_gateway_answer_is_a_problem_with_its_own_status(template: dict) -> None:
    responses = {r["Properties"]["ResponseType"]: r["Properties"]
                 for r in resources(template, "AWS::ApiGateway::GatewayResponse").values()}
    # Every response type API Gateway has: no answer falls back to a catch-all whose status it cannot state.
    every_type = {getattr(apigw.ResponseType, name).response_type for name in dir(apigw.ResponseType)
                  if name.isupper()}
    assert set(responses) == every_type == {p.response_type for p in GATEWAY_PROBLEMS}
    for response_type, props in responses.items():
        headers = props["ResponseParameters"]
        assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
        body = _gateway_body(props["ResponseTemplates"]["application/json"])
        assert body["status"] == int(props["StatusCode"]), response_type
        assert body["type"].startswith("/problems/") and body["title"] and body["detail"], response_type
        if body["status"] in (429, 503):
            assert headers["gatewayresponse.header.Retry-After"].strip("'").isdigit(), response_type
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"  # the one answer that means "sign in again"
    # A refused session's reason comes from the authorizer: /problems/forbidden/mfa-required and the like.
    denied = _gateway_body(responses["ACCESS_DENIED"]["ResponseTemplates"]["application/json"])
    assert denied["type"] == "/problems/forbidden$context.authorizer.subtype"


def test_a_method_a_path_does_not_list_is_answered_405_with_allow(template: dict) -> None:
    allowed: dict[str, set[str]] = {}
    for route in ROUTES:
        allowed.setdefault(route.path, set()).add(route.method)
    mocks = {_method_path(template, m["Properties"]): m["Properties"]
             for m in resources(template, "AWS::ApiGateway::Method").values() if m["Properties"]["HttpMethod"] == "ANY"}
    assert set(mocks) == set(allowed) | {"/", "/{proxy+}"}
    # A path no route has is a 404 of the API's own, so "Missing Authentication Token" means an unsigned
    # staff request only.
    for path in ("/", "/{proxy+}"):
        (answer,) = mocks.pop(path)["Integration"]["IntegrationResponses"]
        body = json.loads(answer["ResponseTemplates"]["application/json"])
        assert (answer["StatusCode"], body["status"], body["type"]) == ("404", 404, "/problems/not-found")
        assert body["detail"] == UNKNOWN_ADDRESS.detail and "SelectionPattern" not in answer
    for path, props in mocks.items():
        assert props["AuthorizationType"] == "NONE" and props["Integration"]["Type"] == "MOCK"
        # every body is binary under */*: as text, the request template (the mock's status) still applies
        assert props["Integration"]["ContentHandling"] == "CONVERT_TO_TEXT"
        (answer,) = props["Integration"]["IntegrationResponses"]
        assert "SelectionPattern" not in answer  # the default: whatever the request, 405
        headers = answer["ResponseParameters"]
        assert headers["method.response.header.Allow"] == "'" + ", ".join(sorted(allowed[path])) + "'"
        assert headers["method.response.header.Content-Type"] == "'application/problem+json'"
        body = json.loads(answer["ResponseTemplates"]["application/json"])
        assert (answer["StatusCode"], body["status"], body["type"]) == ("405", 405, "/problems/method-not-allowed")
        (declared,) = props["MethodResponses"]
        assert set(declared["ResponseParameters"]) == set(headers)


def test_waf_protects_the_stage(template: dict) -> None:
    (association,) = resources(template, "AWS::WAFv2::WebACLAssociation").values()
    stage_id = next(iter(resources(template, "AWS::ApiGateway::Stage")))
    assert stage_id in set(refs(association["Properties"]["ResourceArn"]))
    ((acl_id, acl),) = [(k, a) for k, a in resources(template, "AWS::WAFv2::WebACL").items()
                        if a["Properties"]["Scope"] == "REGIONAL"]
    assert list(refs(association["Properties"]["WebACLArn"])) == [acl_id]
    assert any("RateBasedStatement" in rule["Statement"] for rule in acl["Properties"]["Rules"])
    assert resources(template, "AWS::WAFv2::LoggingConfiguration")


# --- mail, secrets, logs, alarms --------------------------------------------------------------------


def test_ses_domain_identity_with_configuration_set(dev: Synth, template: dict) -> None:
    (identity,) = resources(template, "AWS::SES::EmailIdentity").values()
    assert identity["Properties"]["EmailIdentity"] == dev.stack.config.mail_domain
    (config_set_id,) = resources(template, "AWS::SES::ConfigurationSet")
    assert identity["Properties"]["ConfigurationSetAttributes"] == {
        "ConfigurationSetName": {"Ref": config_set_id}
    }


def test_the_hmac_secrets_are_generated_and_kms_encrypted(dev: Synth, template: dict) -> None:
    secrets = resources(template, "AWS::SecretsManager::Secret").values()
    assert sorted(s["Properties"]["Name"] for s in secrets) == ["provider-portal/dev-caresource/captcha",
                                                                "provider-portal/dev-caresource/cursor"]
    for secret in secrets:
        assert "GenerateSecretString" in secret["Properties"]
        assert list(refs(secret["Properties"]["KmsKeyId"])) == [logical_id(dev.stack, dev.stack.secrets.key)]


def test_every_log_group_is_encrypted_with_retention(template: dict) -> None:
    for name, group in resources(template, "AWS::Logs::LogGroup").items():
        assert "KmsKeyId" in group["Properties"], name
        assert group["Properties"]["RetentionInDays"] == 30, name


def test_alarms_publish_to_an_encrypted_topic(dev: Synth, template: dict) -> None:
    (topic_id, topic), = resources(template, "AWS::SNS::Topic").items()
    assert "KmsMasterKeyId" in topic["Properties"]
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    # errors, throttles and duration per function, one per dead-letter queue, and more (test_operations.py)
    assert len(alarms) > 3 * len(FUNCTIONS) + len(dev.stack.functions.dead_letter_queues)
    for alarm in alarms.values():
        assert list(refs(alarm["Properties"]["AlarmActions"])) == [topic_id]


# --- cfn-lint ---------------------------------------------------------------------------------------


def test_every_stack_stays_clear_of_the_resource_limit(dev: Synth) -> None:
    # CloudFormation refuses a template of over 500 resources: the alarms and the API's routes are nested
    # to stay clear of it, with room for what the next portal steps add.
    parent, *nested = dev.own_templates()
    assert len(nested) == 2, "the alarms' and the API routes' nested stacks"
    for template in (parent, *nested):
        assert len(template["Resources"]) <= 450


def test_cfn_lint_is_clean(dev: Synth) -> None:
    templates = sorted(str(p) for p in Path(dev.outdir).glob("*.template.json"))
    assert templates
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
         "--ignore-checks", "W3005", "--", *templates],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_audit_records_stream_to_an_object_lock_bucket_in_compliance_mode_for_six_years(dev: Synth,
                                                                                        template: dict) -> None:
    archive = dev.stack.audit_archive
    bucket = template["Resources"][logical_id(dev.stack, archive.bucket)]
    assert bucket["Properties"]["ObjectLockEnabled"] is True
    assert bucket["Properties"]["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 6}}}
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["DeletionPolicy"] == "RetainExceptOnCreate"  # kept, unless its first deployment rolls back
    audit_table = template["Resources"][logical_id(dev.stack, dev.stack.tables.tables["audit"])]
    assert audit_table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    (mapping,) = [m for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
                  if "StreamArn" in str(m["Properties"]["EventSourceArn"])]
    props = mapping["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": [logical_id(dev.stack, dev.stack.tables.tables["audit"]),
                                                      "StreamArn"]}
    assert props["FunctionName"] == {"Ref": logical_id(dev.stack, dev.stack.functions.functions[AUDIT_ARCHIVE])}
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": [logical_id(dev.stack, dev.stack.functions.dead_letter_queues[AUDIT_ARCHIVE]), "Arn"]}
    assert props["BisectBatchOnFunctionError"] is True and props["StartingPosition"] == "TRIM_HORIZON"
    # the archiver may only add objects: no read, no delete, no retention change
    statements = role_statements(template, logical_id(dev.stack, dev.stack.functions.roles[AUDIT_ARCHIVE]))
    s3_actions = {a for s in statements for a in actions(s) if a.startswith("s3:")}
    assert s3_actions == {"s3:PutObject"}


# --- mail queue -------------------------------------------------------------------------------------


def test_mail_waits_in_an_encrypted_queue_with_alarmed_dead_letters(dev: Synth, template: dict) -> None:
    stack = dev.stack
    queue = template["Resources"][logical_id(stack, stack.notifications.queue)]["Properties"]
    dead_id = logical_id(stack, stack.notifications.dead_letters)
    key_id = logical_id(stack, stack.notifications.queue_key)
    assert list(refs(queue["KmsMasterKeyId"])) == [key_id]
    assert list(refs(queue["RedrivePolicy"]["deadLetterTargetArn"])) == [dead_id]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    # At least six times the sender's timeout, so a batch still running is never handed out again.
    assert queue["VisibilityTimeout"] >= 6 * next(f.timeout_s for f in FUNCTIONS if f.name == "mail_sender")
    assert list(refs(template["Resources"][dead_id]["Properties"]["KmsMasterKeyId"])) == [key_id]
    (mapping,) = [m for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
                  if "StreamArn" not in str(m["Properties"]["EventSourceArn"])]
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert list(refs(mapping["Properties"]["EventSourceArn"])) == [logical_id(stack, stack.notifications.queue)]
    assert list(refs(mapping["Properties"]["FunctionName"])) == [
        logical_id(stack, stack.functions.functions["mail_sender"])]
    watched = [a["Properties"]["Dimensions"][0]["Value"] for a in resources(template, "AWS::CloudWatch::Alarm").values()
               if a["Properties"].get("Namespace") == "AWS/SQS"]
    assert {next(refs(v)) for v in watched} >= {dead_id, logical_id(stack, stack.notifications.queue)}
