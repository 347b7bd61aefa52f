"""EventBridge Scheduler schedules of the scheduled jobs (infra/routes.py SCHEDULES: the daily lifecycle jobs, the
yearly prior-authorization metrics), each with an explicit time zone, a retry policy and a dead-letter queue for
invocations Scheduler could not deliver, and an alarm on that queue. The functions themselves are invoked
asynchronously: their own retries, dead-letter queues and error alarms come from the functions and monitoring
constructs."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs._common import customer_key, pascal, removal_policy
from infra.constructs.functions import Functions
from infra.routes import SCHEDULES, Schedule

RETRY_ATTEMPTS = 3
MAX_EVENT_AGE = cdk.Duration.hours(6)
DEAD_LETTER_RETENTION = cdk.Duration.days(14)


def cron(spec: Schedule) -> str:
    """Scheduler's cron (minutes hours day-of-month month day-of-week year): daily, or yearly on one date."""
    day, month = (spec.day, spec.month) if spec.month is not None else ("*", "*")
    return f"cron({spec.minute} {spec.hour} {day} {month} ? *)"


class Schedules(Construct):
    """`schedules[job]`: the schedule of each job; `role`: the one role Scheduler assumes to invoke them."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, functions: Functions,
                 alarm_topic: sns.ITopic) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.key = customer_key(self, "Key", description="Encrypts the lifecycle schedules' dead-letter queue",
                                retain=config.retain)
        # Holds the schedule events Scheduler could not deliver ({"job": ...}: no personal data).
        self.dead_letters = sqs.Queue(self, "DeadLetters", encryption=sqs.QueueEncryption.KMS,
                                      encryption_master_key=self.key, enforce_ssl=True,
                                      retention_period=DEAD_LETTER_RETENTION,
                                      removal_policy=removal_policy(config.retain))
        # Only this account's schedules may assume it; it may invoke the scheduled functions and dead-letter, no more.
        self.role = iam.Role(self, "Role", description="EventBridge Scheduler: runs the scheduled jobs",
                             assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com", conditions={
                                 "StringEquals": {"aws:SourceAccount": stack.account}}))
        self.role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"],
                                                    resources=[self.dead_letters.queue_arn]))
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[self.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"sqs.{stack.region}.amazonaws.com"}}))
        self.schedules: dict[str, scheduler.CfnSchedule] = {}
        invoked: set[str] = set()
        for spec in SCHEDULES:
            fn = functions.functions.get(spec.function)
            if fn is None:
                continue
            if spec.function not in invoked:
                self.role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"],
                                                            resources=[fn.function_arn]))
                invoked.add(spec.function)
            self.schedules[spec.job] = scheduler.CfnSchedule(
                self, pascal(spec.job),
                description=spec.description,
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                schedule_expression=cron(spec),
                schedule_expression_timezone=spec.time_zone,
                state="ENABLED",
                target=scheduler.CfnSchedule.TargetProperty(
                    arn=fn.function_arn,
                    role_arn=self.role.role_arn,
                    input=json.dumps({"job": spec.job}),
                    retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                        maximum_retry_attempts=RETRY_ATTEMPTS,
                        maximum_event_age_in_seconds=int(MAX_EVENT_AGE.to_seconds())),
                    dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                        arn=self.dead_letters.queue_arn),
                ),
            )
        alarm = self.dead_letters.metric_approximate_number_of_messages_visible(
            period=cdk.Duration.minutes(5), statistic="Maximum").create_alarm(
            self, "DeadLettersAlarm", threshold=1, evaluation_periods=1,
            alarm_description="A job's schedule could not invoke its function; the event waits in "
                              "the schedules' dead-letter queue. Run the job by hand, then delete the message.",
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
        alarm.add_alarm_action(actions.SnsAction(alarm_topic))
        alarm.add_ok_action(actions.SnsAction(alarm_topic))
