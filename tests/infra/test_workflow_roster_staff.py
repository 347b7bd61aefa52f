"""The access-approval state machine, the roster bucket and its import, the staff IAM access, and the
least privilege of the functions that use them (the dev stack of conftest.py, synthesized once)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from functions.shared.store.export_files import PREFIX as EXPORT_FILES
from infra.constructs.storage import (
    ATTACHMENTS_PREFIX,
    IMPORT_WORK_PREFIX,
    INCOMING_PREFIX,
    PORTAL_DATA_SUFFIX,
    PROVIDER_EXPORTS_PREFIX,
    REPORTS_PREFIX,
    ROSTER_SUFFIX,
)
from infra.constructs.workflows import (
    ACCESS_APPROVAL_ASL,
    EXPORT_TASK_PLACEHOLDER,
    IMPORT_TASK_PLACEHOLDER,
    PORTAL_DATA_IMPORT_ASL,
    PROVIDER_EXPORT_ASL,
    TASK_PLACEHOLDER,
    access_workflow_name,
    authorization_clock_arn,
    portal_data_import_arn,
    portal_data_import_name,
    provider_export_arn,
    provider_export_name,
)
from infra.routes import (
    ACCESS_WORKFLOW,
    ATTACHMENT_SCAN,
    AUDIT_ARCHIVE,
    FUNCTIONS,
    JOBS,
    PA_METRICS,
    PORTAL_DATA_IMPORT,
    PROVIDER_EXPORT,
    ROSTER_IMPORT,
    ROUTES,
)
from tests.infra.helpers import (
    Synth,
    actions,
    as_list,
    logical_id,
    policy_statements,
    refs,
    resources,
    role_statements,
)


def _id(dev: Synth, construct: Any) -> str:
    return logical_id(dev.stack, construct)


def _function_id(dev: Synth, name: str) -> str:
    return _id(dev, dev.stack.functions.functions[name])


def _statements(dev: Synth, template: dict, name: str) -> list[dict]:
    return role_statements(template, _id(dev, dev.stack.functions.roles[name]))


def _referenced(statements: list[dict]) -> set[str]:
    return {ref for statement in statements for ref in refs(statement)}


def _state_machine(template: dict) -> dict:
    """The access-approval state machine (the other one is the authorization decision clock)."""
    (state_machine,) = [m for m in resources(template, "AWS::StepFunctions::StateMachine").values()
                        if m["Properties"]["StateMachineName"].endswith("-access-approval")]
    return state_machine["Properties"]


def _denies_insecure_transport(statements: list[dict]) -> bool:
    return any(
        s["Effect"] == "Deny"
        and s.get("Principal") == {"AWS": "*"}
        and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )


def _resource_policy(template: dict, type_: str, target_key: str, target_id: str) -> list[dict]:
    (policy,) = [p for p in resources(template, type_).values()
                 if target_id in set(refs(p["Properties"][target_key]))]
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


# --- the access-approval state machine --------------------------------------------------------------


def test_state_machine_is_the_asl_file_with_the_workflow_function_substituted(dev: Synth, template: dict) -> None:
    props = _state_machine(template)
    assert props["StateMachineType"] == "STANDARD"
    assert props["StateMachineName"] == access_workflow_name(dev.stack.config)
    task = {"Fn::GetAtt": [_function_id(dev, ACCESS_WORKFLOW), "Arn"]}
    assert props["DefinitionSubstitutions"] == {TASK_PLACEHOLDER: task}
    definition = dev.asset_path(props["DefinitionS3Location"]["Key"]).read_text()
    assert json.loads(definition) == json.loads(ACCESS_APPROVAL_ASL.read_text())
    assert set(re.findall(r"\$\{(\w+)\}", definition)) == set(props["DefinitionSubstitutions"])
    tasks = [state for state in json.loads(definition)["States"].values() if state["Type"] == "Task"]
    assert tasks and {t["Parameters"]["FunctionName"] for t in tasks} == {f"${{{TASK_PLACEHOLDER}}}"}


def test_state_machine_logs_every_event_without_execution_data_and_traces(template: dict) -> None:
    props = _state_machine(template)
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False
    (destination,) = logging["Destinations"]
    group = template["Resources"][next(refs(destination))]["Properties"]
    assert "KmsKeyId" in group
    assert group["LogGroupName"] == f"/aws/vendedlogs/states/{props['StateMachineName']}"
    assert props["TracingConfiguration"] == {"Enabled": True}


def test_state_machine_role_may_invoke_only_the_workflow_function(dev: Synth, template: dict) -> None:
    assert dev.stack.workflows is not None
    role_id = _id(dev, dev.stack.workflows.role)
    assert list(refs(_state_machine(template)["RoleArn"])) == [role_id]
    role = template["Resources"][role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert "ManagedPolicyArns" not in role
    statements = role_statements(template, role_id)
    invoke = [s for s in statements if any(a.startswith("lambda:") for a in actions(s))]
    assert invoke == [{"Action": "lambda:InvokeFunction", "Effect": "Allow",
                       "Resource": {"Fn::GetAtt": [_function_id(dev, ACCESS_WORKFLOW), "Arn"]}}]
    for statement in statements:
        if statement not in invoke:  # log delivery and tracing: no resource-level permissions exist
            assert statement["Resource"] == "*"
            assert {a.split(":")[0] for a in actions(statement)} <= {"logs", "xray"}
            assert not any(a.endswith("*") for a in actions(statement))


def test_functions_get_the_arn_of_the_state_machine(dev: Synth, template: dict) -> None:
    assert dev.stack.workflows is not None
    arn = json.dumps(dev.stack.resolve(dev.stack.workflows.arn))
    assert f':stateMachine:{_state_machine(template)["StateMachineName"]}"' in arn
    assert template["Outputs"]["AccessWorkflowArn"]["Value"] == {
        "Ref": _id(dev, dev.stack.workflows.access_approval)
    }


def test_only_workflow_functions_start_or_resume_it_and_only_it(dev: Synth, template: dict) -> None:
    assert dev.stack.workflows is not None
    arn = dev.stack.resolve(dev.stack.workflows.arn)
    clock = dev.stack.resolve(authorization_clock_arn(dev.stack, dev.stack.config))
    export = dev.stack.resolve(provider_export_arn(dev.stack, dev.stack.config))
    imports = dev.stack.resolve(portal_data_import_arn(dev.stack, dev.stack.config))
    for spec in FUNCTIONS:
        states = [s for s in _statements(dev, template, spec.name) if any(a.startswith("states:") for a in actions(s))]
        # the decision clock and the Provider Access export: start them, nothing else
        for capability, machine in (("starts_authorization_clock", clock), ("starts_provider_export", export),
                                    ("runs_portal_data_import", imports)):
            if capability in spec.uses:
                (start,) = [s for s in states if s["Resource"] == machine]
                assert actions(start) == ["states:StartExecution"], spec.name
                states.remove(start)
        assert all(s["Resource"] not in (clock, export, imports) for s in states), spec.name
        expected = set()
        if "starts_workflow" in spec.uses:
            expected |= {"states:StartExecution"}
        if "resumes_workflow" in spec.uses:
            expected |= {"states:SendTaskSuccess", "states:SendTaskFailure"}
        assert {a for s in states for a in actions(s)} == expected, spec.name
        assert all(s["Resource"] == arn for s in states), spec.name


def _tasks(states: dict) -> list[dict]:
    """Every Task state, those inside Map states too."""
    found = []
    for state in states.values():
        if state["Type"] == "Task":
            found.append(state)
        elif state["Type"] == "Map":
            found += _tasks(state["ItemProcessor"]["States"])
    return found


@pytest.mark.parametrize(("machine", "role", "name", "arn", "asl", "placeholder", "function"), [
    ("provider_export", "export_role", provider_export_name, provider_export_arn, PROVIDER_EXPORT_ASL,
     EXPORT_TASK_PLACEHOLDER, PROVIDER_EXPORT),
    ("portal_data_import", "import_role", portal_data_import_name, portal_data_import_arn, PORTAL_DATA_IMPORT_ASL,
     IMPORT_TASK_PLACEHOLDER, PORTAL_DATA_IMPORT),
])
def test_export_and_import_workflows_run_their_function_only_logged_and_traced(
        dev: Synth, template: dict, machine: str, role: str, name: Any, arn: Any, asl: Any, placeholder: str,
        function: str) -> None:
    """The Provider Access export and the portal-data import: each its ASL with its function as every task,
    logged (no execution data) and traced like the other state machines, its role invoking that function
    only."""
    workflows = dev.stack.workflows
    assert workflows is not None and getattr(workflows, machine) is not None and getattr(workflows, role) is not None
    props = template["Resources"][_id(dev, getattr(workflows, machine))]["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["StateMachineName"] == name(dev.stack.config)
    assert dev.stack.resolve(arn(dev.stack, dev.stack.config))["Fn::Join"][1][-1] == (
        f":stateMachine:{props['StateMachineName']}")
    task = {"Fn::GetAtt": [_function_id(dev, function), "Arn"]}
    assert props["DefinitionSubstitutions"] == {placeholder: task}
    definition = dev.asset_path(props["DefinitionS3Location"]["Key"]).read_text()
    assert json.loads(definition) == json.loads(asl.read_text())
    tasks = _tasks(json.loads(definition)["States"])
    assert tasks and {t["Parameters"]["FunctionName"] for t in tasks} == {f"${{{placeholder}}}"}
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False
    (destination,) = logging["Destinations"]
    group = template["Resources"][next(refs(destination))]["Properties"]
    assert "KmsKeyId" in group and group["LogGroupName"] == f"/aws/vendedlogs/states/{props['StateMachineName']}"
    assert props["TracingConfiguration"] == {"Enabled": True}
    role_id = _id(dev, getattr(workflows, role))
    assert list(refs(props["RoleArn"])) == [role_id]
    (trust,) = template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    statements = role_statements(template, role_id)
    invoke = [s for s in statements if any(a.startswith("lambda:") for a in actions(s))]
    assert invoke == [{"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": task}]
    for statement in statements:
        if statement not in invoke:  # log delivery and tracing: no resource-level permissions exist
            assert statement["Resource"] == "*"
            assert {a.split(":")[0] for a in actions(statement)} <= {"logs", "xray"}


def test_link_provider_may_start_the_workflow_but_not_resume_it(dev: Synth, template: dict) -> None:
    granted = {a for s in _statements(dev, template, "link_provider") for a in actions(s)}
    assert "states:StartExecution" in granted
    assert not granted & {"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"}


# --- least privilege around the new data --------------------------------------------------------------


def test_staff_reach_links_but_not_accounts_or_sessions(dev: Synth, template: dict) -> None:
    """Staff verify first administrators and manage administrators (links, the administrator claim), and
    see nothing of accounts or sessions."""
    statements = _statements(dev, template, "staff")
    assert statements
    assert _id(dev, dev.stack.tables.tables["links"]) in _referenced(statements)
    for table in ("accounts", "sessions", "devices", "tokens"):
        assert _id(dev, dev.stack.tables.tables[table]) not in _referenced(statements), table


def test_roster_import_cannot_touch_accounts_or_sessions(dev: Synth, template: dict) -> None:
    # links: it ends the links to Provider IDs a new roster drops (functions/roster_import/logic.py)
    referenced = _referenced(_statements(dev, template, ROSTER_IMPORT))
    for table in ("accounts", "sessions", "tokens"):
        assert _id(dev, dev.stack.tables.tables[table]) not in referenced, table


@pytest.mark.parametrize(("bucket", "readers", "importers"), [
    ("storage", {"reads_rosters"}, {"imports_rosters"}),
    ("portal_data", set(), {"imports_portal_data"}),
])
def test_import_bucket_access_is_per_prefix_and_only_for_its_functions(dev: Synth, template: dict, bucket: str,
                                                                         readers: set, importers: set) -> None:
    storage = getattr(dev.stack, bucket)
    bucket_id, key_id = _id(dev, storage.bucket), _id(dev, storage.key)
    bucket_arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    for spec in FUNCTIONS:
        statements = _statements(dev, template, spec.name)
        s3 = [s for s in statements if any(a.startswith("s3:") for a in actions(s))
              and bucket_id in set(refs(s.get("Resource")))]
        bucket_key = [s for s in statements if key_id in set(refs(s.get("Resource")))]
        uses = (readers | importers) & set(spec.uses)
        if bucket == "portal_data" and "quarantines_attachments" in spec.uses:
            # the scan results' function deletes an infected file (no read: the bucket policy denies it anyway)
            files = {"Fn::Join": ["", [bucket_arn, f"/{ATTACHMENTS_PREFIX}*"]]}
            assert {a: s["Resource"] for s in s3 for a in actions(s)} == {"s3:DeleteObject": files}, spec.name
            continue
        if bucket == "portal_data" and "stores_authorization_attachments" in spec.uses:
            files = {"Fn::Join": ["", [bucket_arn, f"/{ATTACHMENTS_PREFIX}*"]]}
            assert {a: s["Resource"] for s in s3 for a in actions(s)} == {"s3:GetObject": files,
                                                                          "s3:PutObject": files}, spec.name
            (key,) = bucket_key
            assert set(actions(key)) == {"kms:Decrypt", "kms:GenerateDataKey"}
            continue
        if bucket == "portal_data" and {"writes_provider_exports", "reads_provider_exports"} & set(spec.uses):
            # Provider Access exports: the workflow's task writes their files, provider_access serves them
            files = {"Fn::Join": ["", [bucket_arn, f"/{PROVIDER_EXPORTS_PREFIX}*"]]}
            writes = "writes_provider_exports" in spec.uses
            granted = {a: s["Resource"] for s in s3 for a in actions(s)}
            assert granted == ({"s3:PutObject": files, "s3:AbortMultipartUpload": files} if writes
                               else {"s3:GetObject": files}), spec.name
            (key,) = bucket_key
            assert set(actions(key)) == ({"kms:GenerateDataKey", "kms:Decrypt"} if writes else {"kms:Decrypt"})
            assert "kms:ViaService" in key["Condition"]["StringEquals"]
            continue
        if bucket == "portal_data" and {"publishes_pa_metrics", "reads_pa_metrics"} & set(spec.uses):
            # The yearly prior-authorization metrics: their two prefixes, and a listing of the published ones
            published, basis = (json.dumps({"Fn::Join": ["", [bucket_arn, f"/{p}*"]]}, sort_keys=True)
                                for p in ("pa-metrics/published/", "pa-metrics/basis/"))
            expected = set()
            if "publishes_pa_metrics" in spec.uses:
                expected |= {("s3:PutObject", published), ("s3:PutObject", basis), ("s3:GetObject", basis)}
            if "reads_pa_metrics" in spec.uses:
                expected |= {("s3:GetObject", published), ("s3:ListBucket", json.dumps(bucket_arn, sort_keys=True))}
            assert {(a, json.dumps(r, sort_keys=True)) for s in s3 for a in actions(s)
                    for r in as_list(s["Resource"])} == expected, spec.name
            (key,) = bucket_key
            assert "kms:ViaService" in key["Condition"]["StringEquals"]
            continue
        if not uses:
            assert s3 == [] and bucket_key == [], spec.name
            continue
        by_action: dict[str, set[str]] = {}
        for statement in s3:
            for action in actions(statement):
                by_action.setdefault(action, set()).update(json.dumps(r, sort_keys=True)
                                                           for r in as_list(statement["Resource"]))

        def under(*prefixes: str) -> set[str]:
            return {json.dumps({"Fn::Join": ["", [bucket_arn, f"/{p}*"]]}, sort_keys=True) for p in prefixes}

        # portal data: a Bulk Data export's files are read under exports/ as well
        readable = (INCOMING_PREFIX, "exports/") if bucket == "portal_data" else (INCOMING_PREFIX,)
        expected = {"s3:GetObject": under(*readable)}
        key_actions = {"kms:Decrypt"}
        if uses & importers:
            expected["s3:PutObject"] = under(REPORTS_PREFIX)
            key_actions.add("kms:GenerateDataKey")
        if bucket == "portal_data" and uses & importers:
            # the import workflow's steps hand their work over under import-work/ (by name: no listing)
            work = under(IMPORT_WORK_PREFIX)
            expected = {**expected, "s3:GetObject": expected["s3:GetObject"] | work,
                        "s3:PutObject": expected["s3:PutObject"] | work, "s3:DeleteObject": work}
        assert by_action == expected, spec.name
        (key,) = bucket_key
        assert set(actions(key)) == key_actions
        assert "kms:ViaService" in key["Condition"]["StringEquals"]


def test_no_policy_grants_a_whole_service(template: dict) -> None:
    for policy_id, _ in [*resources(template, "AWS::IAM::Policy").items(),
                         *resources(template, "AWS::IAM::ManagedPolicy").items()]:
        for statement in policy_statements(template, policy_id):
            for action in actions(statement):
                assert action != "*" and not action.endswith(":*"), (policy_id, action)


# --- the roster bucket and its import -------------------------------------------------------------------


def test_roster_bucket_is_kms_encrypted_private_tls_only_versioned_and_logged(dev: Synth, template: dict) -> None:
    storage = dev.stack.storage
    bucket_id, logs_id, key_id = _id(dev, storage.bucket), _id(dev, storage.logs_bucket), _id(dev, storage.key)
    props = template["Resources"][bucket_id]["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert list(refs(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"])) == [key_id]
    assert template["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}
    reports = [r for r in props["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == REPORTS_PREFIX]
    assert len(reports) == 1 and reports[0]["ExpirationInDays"] > 0 and reports[0]["Status"] == "Enabled"
    assert _denies_insecure_transport(_resource_policy(template, "AWS::S3::BucketPolicy", "Bucket", bucket_id))
    assert template["Outputs"]["RosterBucketName"]["Value"] == {"Ref": bucket_id}


def test_provider_export_files_expire_after_the_download_window(dev: Synth, template: dict) -> None:
    assert EXPORT_FILES == PROVIDER_EXPORTS_PREFIX, "the functions use the prefix infra grants and expires"
    props = template["Resources"][_id(dev, dev.stack.portal_data.bucket)]["Properties"]
    (rule,) = [r for r in props["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == PROVIDER_EXPORTS_PREFIX]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == 3
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}


def test_access_log_bucket_is_private_tls_only_and_written_by_s3_logging_only(dev: Synth, template: dict) -> None:
    storage = dev.stack.storage
    logs_id = _id(dev, storage.logs_bucket)
    props = template["Resources"][logs_id]["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"  # all that log delivery accepts
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    statements = _resource_policy(template, "AWS::S3::BucketPolicy", "Bucket", logs_id)
    assert _denies_insecure_transport(statements)
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "logging.s3.amazonaws.com"}]
    assert allows[0]["Condition"]["ArnLike"]["aws:SourceArn"] == {"Fn::GetAtt": [_id(dev, storage.bucket), "Arn"]}


IMPORTS = [("storage", ROSTER_IMPORT, ROSTER_SUFFIX), ("portal_data", PORTAL_DATA_IMPORT, PORTAL_DATA_SUFFIX)]


@pytest.mark.parametrize(("bucket", "function", "suffix"), IMPORTS)
def test_new_files_and_only_they_invoke_their_import(dev: Synth, template: dict, bucket: str, function: str,
                                                      suffix: str) -> None:
    bucket_id, import_id = _id(dev, getattr(dev.stack, bucket).bucket), _function_id(dev, function)
    (notifications,) = [n for n in resources(template, "Custom::S3BucketNotifications").values()
                        if n["Properties"]["BucketName"] == {"Ref": bucket_id}]
    config = notifications["Properties"]["NotificationConfiguration"]
    assert set(config) == {"LambdaFunctionConfigurations"}
    targets = config["LambdaFunctionConfigurations"]
    assert all(t["LambdaFunctionArn"] == {"Fn::GetAtt": [import_id, "Arn"]} for t in targets)
    assert all(t["Events"] == ["s3:ObjectCreated:*"] for t in targets)
    filters = [{r["Name"]: r["Value"] for r in t["Filter"]["Key"]["FilterRules"]} for t in targets]
    # a single file under incoming/; for portal data also a Bulk Data export, by its manifest, written last
    expected = [{"prefix": INCOMING_PREFIX, "suffix": suffix}]
    if bucket == "portal_data":
        expected.append({"prefix": "exports/", "suffix": "manifest.json"})
    assert filters == expected
    assert not REPORTS_PREFIX.startswith(INCOMING_PREFIX), "a report must never start another import"
    (permission,) = [p["Properties"] for p in resources(template, "AWS::Lambda::Permission").values()
                     if p["Properties"]["Principal"] == "s3.amazonaws.com"
                     and p["Properties"]["FunctionName"] == {"Fn::GetAtt": [import_id, "Arn"]}]
    assert permission["FunctionName"] == {"Fn::GetAtt": [import_id, "Arn"]}
    assert permission["SourceArn"] == {"Fn::GetAtt": [bucket_id, "Arn"]}
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


@pytest.mark.parametrize("function", [ROSTER_IMPORT, PORTAL_DATA_IMPORT])
def test_failed_imports_land_in_an_encrypted_alarmed_dead_letter_queue(dev: Synth, template: dict,
                                                                         function: str) -> None:
    queues = dev.stack.functions.dead_letter_queues
    # JOBS, PA_METRICS: invoked by their schedules; AUDIT_ARCHIVE: the stream's; attachment_scan: GuardDuty's
    # scan results (EventBridge)
    assert set(queues) == {ROSTER_IMPORT, PORTAL_DATA_IMPORT, JOBS, PA_METRICS, AUDIT_ARCHIVE, ATTACHMENT_SCAN}
    queue_id = _id(dev, queues[function])
    for spec in FUNCTIONS:
        config = template["Resources"][_function_id(dev, spec.name)]["Properties"].get("DeadLetterConfig")
        if spec.name == function:
            assert config == {"TargetArn": {"Fn::GetAtt": [queue_id, "Arn"]}}
        elif spec.name not in queues:
            assert config is None
    queue = template["Resources"][queue_id]["Properties"]
    (key_id,) = refs(queue["KmsMasterKeyId"])
    assert template["Resources"][key_id]["Type"] == "AWS::KMS::Key"
    assert template["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    assert _denies_insecure_transport(_resource_policy(template, "AWS::SQS::QueuePolicy", "Queues", queue_id))
    (invoke_config,) = [c for c in resources(template, "AWS::Lambda::EventInvokeConfig").values()
                        if c["Properties"]["FunctionName"] == {"Ref": _function_id(dev, function)}]
    assert invoke_config["Properties"]["MaximumRetryAttempts"] == 2
    # The import role can put failed events on the queue: SendMessage, and a data key through SQS only.
    statements = _statements(dev, template, function)
    assert any(actions(s) == ["sqs:SendMessage"] and {"Fn::GetAtt": [queue_id, "Arn"]} in as_list(s["Resource"])
               for s in statements)  # CDK merges it with the mail queue's SendMessage where the function mails
    (key,) = [s for s in statements if key_id in set(refs(s.get("Resource")))]
    assert set(actions(key)) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert "kms:ViaService" in key["Condition"]["StringEquals"]
    topic_id = _id(dev, dev.stack.monitoring.topic)
    (alarm,) = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()
                if a["Properties"].get("Namespace") == "AWS/SQS"
                and a["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue_id, "QueueName"]}]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert list(refs(alarm["AlarmActions"])) == [topic_id]


# --- staff access -----------------------------------------------------------------------------------------


def _arn_path(arn: dict) -> str:
    """'/METHOD/path' at the end of a synthesized execute-api ARN."""
    parts = arn["Fn::Join"][1]
    assert isinstance(parts[-1], str)
    return parts[-1]


def test_staff_routes_are_signed_with_iam_and_nothing_else_is(dev: Synth, template: dict) -> None:
    staff = [route for route in ROUTES if route.iam]
    assert staff, "the route table has staff routes"
    for route, method in dev.stack.api.methods.items():
        props = template["Resources"][_id(dev, method)]["Properties"]
        assert (props["AuthorizationType"] == "AWS_IAM") == route.iam, (route.method, route.path)
        if route.iam:
            assert "AuthorizerId" not in props and route.path.startswith("/staff/")


def test_staff_policy_allows_invoking_exactly_the_staff_methods(dev: Synth, template: dict) -> None:
    policy = dev.stack.api.staff_policy
    assert policy is not None
    policy_id = _id(dev, policy)
    props = template["Resources"][policy_id]["Properties"]
    assert not {"Roles", "Users", "Groups"} & set(props), "attached to staff roles outside the stack"
    (statement,) = props["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "execute-api:Invoke"
    arns = as_list(statement["Resource"])
    expected = {f"/{r.method}" + re.sub(r"\{[^}]+\}", "*", r.path) for r in ROUTES if r.iam}
    assert {_arn_path(arn) for arn in arns} == expected
    api_id = _id(dev, dev.stack.api.rest_api)
    stage_id = _id(dev, dev.stack.api.rest_api.deployment_stage)
    for arn in arns:
        assert set(refs(arn)) == {api_id, stage_id}
    assert template["Outputs"]["StaffPolicyArn"]["Value"] == {"Ref": policy_id}


def test_the_import_reserves_what_its_workflow_runs_at_once() -> None:
    """Ten ranges of a phase run side by side: the function reserves them (and the S3 starts), and a
    throttled step waits minutes, not seconds, before the import is reported failed."""
    from infra.routes import IMPORT_RANGES_AT_ONCE, function

    asl = json.loads(PORTAL_DATA_IMPORT_ASL.read_text())
    inner = [state["ItemProcessor"]["States"] for state in asl["States"].values() if state["Type"] == "Map"]
    ranges = [s for states in inner for s in states.values() if s["Type"] == "Map"]
    assert ranges and {s["MaxConcurrency"] for s in ranges} == {IMPORT_RANGES_AT_ONCE}
    reserved = function(PORTAL_DATA_IMPORT).reserved_concurrency
    assert reserved is not None and reserved > IMPORT_RANGES_AT_ONCE
    for task in _tasks(asl["States"]):
        throttled = [r for r in task["Retry"] if "Lambda.TooManyRequestsException" in r["ErrorEquals"]]
        if task["Parameters"]["Payload"]["step"] != "failed":
            (retry,) = throttled
            waited = sum(retry["IntervalSeconds"] * retry["BackoffRate"] ** n for n in range(retry["MaxAttempts"]))
            assert waited > 600
