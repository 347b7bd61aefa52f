"""The scheduled jobs in the synthesized dev stack: one schedule per SCHEDULES entry (the daily lifecycle jobs,
the yearly prior-authorization metrics on 15 January), with an explicit time zone, retries and a dead-letter
queue; a scheduler role that may do nothing else; alarms on every way a run can fail; the metrics function's
least privilege."""

from __future__ import annotations

import json
from datetime import date

import pytest

from functions.shared.store.metrics_files import BASIS_PREFIX, PUBLISHED_PREFIX
from infra.constructs.schedules import cron
from infra.routes import JOBS, PA_METRICS, SCHEDULES, Schedule, function
from tests.infra.helpers import Synth, actions, as_list, logical_id, refs, resources, role_statements


def _schedules(template: dict) -> dict[str, dict]:
    return {json.loads(s["Properties"]["Target"]["Input"])["job"]: s["Properties"]
            for s in resources(template, "AWS::Scheduler::Schedule").values()}


def test_every_job_has_its_schedule_with_time_zone_retries_and_dead_letters(dev: Synth, template: dict) -> None:
    schedules = _schedules(template)
    assert set(schedules) == {s.job for s in SCHEDULES} == {"deactivate", "expire", "end-delegations", "pa-metrics"}
    dead_letters = logical_id(dev.stack, dev.stack.schedules.dead_letters)
    for spec in SCHEDULES:
        props = schedules[spec.job]
        assert props["ScheduleExpression"] == (f"cron({spec.minute} {spec.hour} * * ? *)" if spec.month is None
                                               else f"cron({spec.minute} {spec.hour} {spec.day} {spec.month} ? *)")
        assert props["ScheduleExpressionTimezone"] == "America/New_York"
        assert props["State"] == "ENABLED" and props["FlexibleTimeWindow"] == {"Mode": "OFF"}
        target = props["Target"]
        assert list(refs(target["Arn"])) == [logical_id(dev.stack, dev.stack.functions.functions[spec.function])]
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        assert list(refs(target["DeadLetterConfig"])) == [dead_letters]


def test_the_metrics_run_yearly_on_15_january_at_6_new_york_time(template: dict) -> None:
    props = _schedules(template)["pa-metrics"]
    assert props["ScheduleExpression"] == "cron(0 6 15 1 ? *)"  # minutes hours day-of-month month day-of-week year
    assert props["ScheduleExpressionTimezone"] == "America/New_York"
    assert json.loads(props["Target"]["Input"]) == {"job": "pa-metrics"}


def test_a_schedule_is_daily_or_yearly_on_a_date_every_year_has() -> None:
    daily = Schedule("d", 2, 15, "daily")
    yearly = Schedule("y", 6, 0, "yearly", month=1, day=15)
    assert (cron(daily), cron(yearly)) == ("cron(15 2 * * ? *)", "cron(0 6 15 1 ? *)")
    assert daily.runs_on(date(2026, 7, 4)) and yearly.runs_on(date(2027, 1, 15))
    assert not yearly.runs_on(date(2027, 1, 16)) and not yearly.runs_on(date(2027, 2, 15))
    for bad in ({"month": 1}, {"day": 15}, {"month": 2, "day": 29}, {"month": 13, "day": 1}, {"month": 4, "day": 31}):
        with pytest.raises(ValueError):
            Schedule("bad", 6, 0, "bad", **bad)  # type: ignore[arg-type]


def test_the_scheduler_role_invokes_the_scheduled_functions_only(dev: Synth, template: dict) -> None:
    role_id = logical_id(dev.stack, dev.stack.schedules.role)
    role = template["Resources"][role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    statements = role_statements(template, role_id)
    granted = sorted(a for s in statements for a in actions(s))
    assert granted == ["kms:Decrypt", "kms:GenerateDataKey", "lambda:InvokeFunction", "sqs:SendMessage"]
    invoked = [r for s in statements if actions(s) == ["lambda:InvokeFunction"] for r in as_list(s["Resource"])]
    assert sorted(invoked, key=json.dumps) == sorted(
        ({"Fn::GetAtt": [logical_id(dev.stack, dev.stack.functions.functions[name]), "Arn"]}
         for name in (JOBS, PA_METRICS)), key=json.dumps)


def test_job_failures_and_dead_letters_raise_alarms(dev: Synth, template: dict) -> None:
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    watched = {ref for alarm in alarms for ref in refs(alarm["Properties"].get("Dimensions", []))}
    fn = dev.stack.functions
    assert logical_id(dev.stack, fn.functions[JOBS]) in watched  # errors (a run with failed accounts)
    assert logical_id(dev.stack, fn.dead_letter_queues[JOBS]) in watched  # async retries exhausted
    assert logical_id(dev.stack, fn.functions[PA_METRICS]) in watched
    assert logical_id(dev.stack, fn.dead_letter_queues[PA_METRICS]) in watched
    assert logical_id(dev.stack, dev.stack.schedules.dead_letters) in watched  # Scheduler could not invoke


def test_the_jobs_function_gets_only_its_tables_and_mail(dev: Synth, template: dict) -> None:
    spec = function(JOBS)
    assert set(spec.tables) == {"accounts", "sessions", "devices", "unique_keys", "links", "audit"}
    assert spec.tables["links"] == "write"  # end-delegations: the index query and the conditional end, no delete
    assert spec.uses == ("sends_mail",)
    env = template["Resources"][logical_id(dev.stack, dev.stack.functions.functions[JOBS])]["Properties"][
        "Environment"]["Variables"]
    assert {k for k in env if k.endswith("_TABLE")} == {f"{t.upper()}_TABLE" for t in spec.tables}


def test_the_metrics_function_reads_decisions_and_writes_only_its_own_objects(dev: Synth, template: dict) -> None:
    spec = function(PA_METRICS)
    assert spec.tables == {"authorizations": "read", "audit": "append"}
    stack = dev.stack
    statements = role_statements(template, logical_id(stack, stack.functions.roles[PA_METRICS]))
    tables = {(t, a) for s in statements for a in actions(s) if a.startswith("dynamodb:")
              for t in refs(s["Resource"])}
    authorizations = logical_id(stack, stack.tables.tables["authorizations"])
    audit = logical_id(stack, stack.tables.tables["audit"])
    assert {a for t, a in tables if t == authorizations} == {
        "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"}
    assert {a for t, a in tables if t == audit} == {"dynamodb:PutItem"}
    assert {t for t, _ in tables} == {authorizations, audit}  # no Scan, no other table
    s3 = [s for s in statements if any(a.startswith("s3:") for a in actions(s))]
    bucket = stack.portal_data.bucket

    def granted(resource: object) -> set[str]:
        wanted = json.dumps(stack.resolve(resource), sort_keys=True)
        return {a for s in s3 for a in actions(s)
                if wanted in {json.dumps(r, sort_keys=True) for r in as_list(s["Resource"])}}

    assert granted(bucket.arn_for_objects(f"{PUBLISHED_PREFIX}*")) == {"s3:PutObject", "s3:GetObject"}
    assert granted(bucket.arn_for_objects(f"{BASIS_PREFIX}*")) == {"s3:PutObject", "s3:GetObject"}
    (listing,) = [s for s in s3 if actions(s) == ["s3:ListBucket"]]
    assert listing["Resource"] == stack.resolve(bucket.bucket_arn)
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [PUBLISHED_PREFIX, f"{PUBLISHED_PREFIX}*"]}}
    assert {a for s in s3 for a in actions(s)} == {"s3:PutObject", "s3:GetObject", "s3:ListBucket"}
