"""The lifecycle jobs' schedules in the synthesized dev stack: one per SCHEDULES entry, with an explicit
time zone, retries and a dead-letter queue; a scheduler role that may do nothing else; alarms on
every way a run can fail."""

from __future__ import annotations

import json

from infra.routes import JOBS, SCHEDULES, function
from tests.infra.helpers import Synth, actions, logical_id, refs, resources, role_statements


def _schedules(template: dict) -> dict[str, dict]:
    return {json.loads(s["Properties"]["Target"]["Input"])["job"]: s["Properties"]
            for s in resources(template, "AWS::Scheduler::Schedule").values()}


def test_every_job_has_its_schedule_with_time_zone_retries_and_dead_letters(dev: Synth, template: dict) -> None:
    schedules = _schedules(template)
    assert set(schedules) == {s.job for s in SCHEDULES} == {"deactivate", "expire"}
    jobs_fn = logical_id(dev.stack, dev.stack.functions.functions[JOBS])
    dead_letters = logical_id(dev.stack, dev.stack.schedules.dead_letters)
    for spec in SCHEDULES:
        props = schedules[spec.job]
        assert props["ScheduleExpression"] == f"cron({spec.minute} {spec.hour} * * ? *)"
        assert props["ScheduleExpressionTimezone"] == "America/New_York"
        assert props["State"] == "ENABLED" and props["FlexibleTimeWindow"] == {"Mode": "OFF"}
        target = props["Target"]
        assert list(refs(target["Arn"])) == [jobs_fn]
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        assert list(refs(target["DeadLetterConfig"])) == [dead_letters]


def test_the_scheduler_role_invokes_the_jobs_function_only(dev: Synth, template: dict) -> None:
    role_id = logical_id(dev.stack, dev.stack.schedules.role)
    role = template["Resources"][role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    statements = role_statements(template, role_id)
    granted = sorted(a for s in statements for a in actions(s))
    assert granted == ["kms:Decrypt", "kms:GenerateDataKey", "lambda:InvokeFunction", "sqs:SendMessage"]
    invoke = next(s for s in statements if actions(s) == ["lambda:InvokeFunction"])
    assert invoke["Resource"] == {"Fn::GetAtt": [logical_id(dev.stack, dev.stack.functions.functions[JOBS]), "Arn"]}


def test_job_failures_and_dead_letters_raise_alarms(dev: Synth, template: dict) -> None:
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    watched = {ref for alarm in alarms for ref in refs(alarm["Properties"].get("Dimensions", []))}
    fn = dev.stack.functions
    assert logical_id(dev.stack, fn.functions[JOBS]) in watched  # errors (a run with failed accounts)
    assert logical_id(dev.stack, fn.dead_letter_queues[JOBS]) in watched  # async retries exhausted
    assert logical_id(dev.stack, dev.stack.schedules.dead_letters) in watched  # Scheduler could not invoke


def test_the_jobs_function_gets_only_its_tables_and_mail(dev: Synth, template: dict) -> None:
    spec = function(JOBS)
    assert set(spec.tables) == {"accounts", "sessions", "devices", "unique_keys", "audit"}
    assert spec.uses == ("sends_mail",)
    env = template["Resources"][logical_id(dev.stack, dev.stack.functions.functions[JOBS])]["Properties"][
        "Environment"]["Variables"]
    assert {k for k in env if k.endswith("_TABLE")} == {f"{t.upper()}_TABLE" for t in spec.tables}
