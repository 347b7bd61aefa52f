"""Operations: a dashboard per stack and alarms to an encrypted SNS topic (with an on-call address).

Thresholds are set to page on a pattern, not on one event: most alarms need several failures in two of
three 5-minute periods. The exceptions are events that are each a loss (a message in a dead-letter
queue) or a money limit (SMS spend).

The alarms and the dashboard live in a nested stack: a CloudFormation stack holds at most 500 resources,
and the portal's own resources come close to that. The topic stays in the portal stack, where the
schedules' alarms and the on-call subscription use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.shared.core.telemetry import NAMESPACE
from infra.config import StageConfig
from infra.constructs._common import customer_key, pascal
from infra.constructs.api import Api
from infra.constructs.functions import Functions, service_name
from infra.constructs.notifications import Notifications
from infra.constructs.tables import Tables
from infra.constructs.waf import Waf
from infra.routes import MAIL_SENDER

PERIOD = cdk.Duration.minutes(5)


@dataclass(frozen=True)
class Threshold:
    """`value` reached in `datapoints` of the last `periods` 5-minute periods."""

    value: float
    datapoints: int = 2
    periods: int = 3
    below: bool = False  # a rate that must stay above `value`


# The paging rules in one place (README "Deploy to AWS" lists them).
FUNCTION_ERRORS = Threshold(5)  # unhandled errors or timeouts of one function
FUNCTION_THROTTLES = Threshold(5)
FUNCTION_DURATION_SHARE = 0.8  # p90 duration above this share of the timeout, three periods running
API_5XX = Threshold(5)
API_LATENCY_P90_MS = Threshold(3000, datapoints=3, periods=3)
WORKFLOW_FAILURES = Threshold(2)  # failed, timed-out or aborted executions
TABLE_THROTTLES = Threshold(10)
TABLE_SYSTEM_ERRORS = Threshold(3)
SES_BOUNCE_RATE = Threshold(0.05, datapoints=1, periods=1)  # SES reviews accounts from 5 %, pauses at 10 %
SES_COMPLAINT_RATE = Threshold(0.001, datapoints=1, periods=1)  # reviewed from 0.1 %, paused at 0.5 %
SMS_SUCCESS_RATE = Threshold(0.9, datapoints=2, periods=3, below=True)
SMS_SPEND_SHARE = 0.8  # of the account's monthly SMS spend limit
WAF_BLOCKED = Threshold(500)  # blocked requests per 5 minutes, per web ACL
SIGN_IN_FAILURES = Threshold(50)  # wrong passwords, unknown users and wrong codes per 5 minutes
SIGN_IN_PAUSES = Threshold(10)  # attempts refused because the account's sign-in is paused (lockouts)
# Any import with quarantined or conflicting lines: the plan's data people look at its report.
PORTAL_DATA_QUARANTINED = Threshold(1, datapoints=1, periods=1)
FHIR_TOKEN_REFUSALS = Threshold(50)  # refused client assertions per 5 minutes: a broken or hostile client

# What the repositories call (an alarm's math expression takes at most 10 metrics).
TABLE_OPERATIONS = [dynamodb.Operation.GET_ITEM, dynamodb.Operation.PUT_ITEM, dynamodb.Operation.UPDATE_ITEM,
                    dynamodb.Operation.DELETE_ITEM, dynamodb.Operation.QUERY, dynamodb.Operation.TRANSACT_WRITE_ITEMS,
                    dynamodb.Operation.TRANSACT_GET_ITEMS, dynamodb.Operation.BATCH_GET_ITEM,
                    dynamodb.Operation.BATCH_WRITE_ITEM]

# EMF counts of functions/shared/core/audit.py (action.outcome), dimension `service`.
SIGN_IN_FAILURE_METRICS = ("signin.password.wrong", "signin.password.unknown_user", "signin.code.wrong",
                           "mfa.code.wrong")
SIGN_IN_PAUSE_METRICS = ("signin.password.paused",)
PORTAL_DATA_QUARANTINE_METRICS = ("portal_data.import.quarantined",)
FHIR_TOKEN_REFUSAL_METRICS = ("fhir.token.refused",)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: Functions,
        api: Api,
        tables: Tables | None = None,
        state_machines: Sequence[sfn.StateMachine] = (),
        notifications: Notifications | None = None,
        web_acls: Sequence[Waf] = (),
        mail_queues: tuple[sqs.IQueue, sqs.IQueue] | None = None,
    ) -> None:
        """`mail_queues`: the mail queue and its dead-letter queue, when the stack has the mail sender."""
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.key = customer_key(self, "Key", description="Encrypts the portal's alarm topic", retain=config.retain)
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"Provider portal alarms ({config.name}, {config.plan})",
            master_key=self.key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        cloudwatch_principal = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        # Only this account's alarms may publish.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlarmsOfThisAccount",
                principals=[cloudwatch_principal],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchToPublishEncrypted",
                principals=[cloudwatch_principal],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self._action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []
        self.alarm_stack = cdk.NestedStack(self, "Alarms",
                                           description=f"Alarms and dashboard of {stack.stack_name}")

        for name, fn in functions.functions.items():
            self._alarm(f"{pascal(name)}Errors", fn.metric_errors(period=PERIOD, statistic="Sum"), FUNCTION_ERRORS,
                        f"The {name} function failed (unhandled errors or timeouts) repeatedly.")
            self._alarm(f"{pascal(name)}Throttles", fn.metric_throttles(period=PERIOD, statistic="Sum"),
                        FUNCTION_THROTTLES, f"The {name} function was throttled repeatedly.")
            self._alarm(f"{pascal(name)}Duration", fn.metric_duration(period=PERIOD, statistic="p90"),
                        Threshold(self._timeout_ms(fn) * FUNCTION_DURATION_SHARE, datapoints=3, periods=3),
                        f"The {name} function's p90 duration is near its timeout.")
        for name, queue in functions.dead_letter_queues.items():
            # Each message is a lost event: one is enough.
            self._alarm(f"{pascal(name)}DeadLetters",
                        queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                        Threshold(1, datapoints=1, periods=1),
                        f"Events of the {name} function failed every retry and wait in its dead-letter queue "
                        f"({queue.queue_name}); handle them, then delete them from the queue.")
        if mail_queues is not None:
            queue, dead_letters = mail_queues
            self._alarm("MailDeadLetters",
                        dead_letters.metric_approximate_number_of_messages_visible(period=PERIOD,
                                                                                   statistic="Maximum"),
                        Threshold(1, datapoints=1, periods=1),
                        f"Mail failed every try of the {MAIL_SENDER} function and waits in its dead-letter queue "
                        f"({dead_letters.queue_name}); once SES sends again, return it with "
                        "`make redrive STACK=<stack>` (each mail is sent once).")
            self._alarm("MailQueueAge",
                        queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum"),
                        Threshold(300, datapoints=2, periods=3),
                        "Mail has waited over 5 minutes in the mail queue: the sender is failing (SES?).")
        rest_api = api.rest_api
        self._alarm("Api5xx", rest_api.metric_server_error(period=PERIOD, statistic="Sum"), API_5XX,
                    "The API answered with 5XX errors repeatedly.")
        self._alarm("ApiLatencyP90", rest_api.metric_latency(period=PERIOD, statistic="p90"), API_LATENCY_P90_MS,
                    "The API's p90 latency is high.")
        for machine in state_machines:
            label = pascal(machine.node.id)
            failures = cloudwatch.MathExpression(
                expression="failed + timedout + aborted",
                using_metrics={"failed": machine.metric_failed(period=PERIOD, statistic="Sum"),
                               "timedout": machine.metric_timed_out(period=PERIOD, statistic="Sum"),
                               "aborted": machine.metric_aborted(period=PERIOD, statistic="Sum")},
                period=PERIOD,
                label=f"{label} failed, timed out or aborted",
            )
            self._alarm(f"{label}Failures", failures, WORKFLOW_FAILURES,
                        f"Executions of {label} failed, timed out or were aborted.")
        for logical, table in (tables.tables.items() if tables else ()):
            throttles = cloudwatch.MathExpression(
                expression="reads + writes",
                using_metrics={
                    "reads": table.metric("ReadThrottleEvents", period=PERIOD, statistic="Sum"),
                    "writes": table.metric("WriteThrottleEvents", period=PERIOD, statistic="Sum"),
                },
                period=PERIOD,
                label=f"{logical} throttle events",
            )
            self._alarm(f"{pascal(logical)}TableThrottles", throttles, TABLE_THROTTLES,
                        f"DynamoDB throttled requests to the {logical} table.")
            self._alarm(f"{pascal(logical)}TableSystemErrors",
                        table.metric_system_errors_for_operations(period=PERIOD, operations=TABLE_OPERATIONS),
                        TABLE_SYSTEM_ERRORS,
                        f"DynamoDB answered requests to the {logical} table with internal errors.")
        if notifications is not None:
            self._mail(notifications.configuration_set)
        self._sms(config)
        for waf in web_acls:
            self._alarm(f"{pascal(waf.node.id)}Blocked", waf.metric_blocked(PERIOD), WAF_BLOCKED,
                        f"The {waf.name} web ACL blocks many requests (an attack or a rule misfiring).")
        self._service = service_name(config)
        self._alarm("SignInFailures", self._emf_sum(SIGN_IN_FAILURE_METRICS, "sign-in failures"), SIGN_IN_FAILURES,
                    "Many failed sign-ins (wrong passwords, unknown users, wrong codes): credential stuffing?")
        self._alarm("SignInPauses", self._emf_sum(SIGN_IN_PAUSE_METRICS, "sign-ins refused while paused"),
                    SIGN_IN_PAUSES, "Many sign-ins hit paused (locked) accounts.")
        self._alarm("PortalDataQuarantined", self._emf_sum(PORTAL_DATA_QUARANTINE_METRICS, "imports with quarantined "
                                                                                           "lines"),
                    PORTAL_DATA_QUARANTINED, "A portal-data extract had lines it could not apply: read the import "
                                             "report under reports/ in the portal-data bucket.")
        self._alarm("FhirTokenRefusals", self._emf_sum(FHIR_TOKEN_REFUSAL_METRICS, "refused FHIR client assertions"),
                    FHIR_TOKEN_REFUSALS, "Many refused SMART client assertions at the FHIR token endpoint (the audit "
                                         "records name the client and the reason): a misconfigured or hostile "
                                         "client?")
        self.dashboard = self._dashboard(config, functions, api, tables, state_machines, web_acls)

    @staticmethod
    def _timeout_ms(fn: lambda_.Function) -> float:
        timeout = fn.timeout
        return timeout.to_milliseconds() if timeout else 3000.0

    def _emf_sum(self, names: Sequence[str], label: str) -> cloudwatch.MathExpression:
        key = "".join(word[0] for word in label.split())  # ids differ between the sums on one graph
        metrics = {f"{key}{i}": cloudwatch.Metric(namespace=NAMESPACE, metric_name=name, period=PERIOD, statistic="Sum",
                                              dimensions_map={"service": self._service})
                   for i, name in enumerate(names)}
        return cloudwatch.MathExpression(expression=" + ".join(f"FILL({k}, 0)" for k in metrics),
                                         using_metrics=metrics, period=PERIOD, label=label)

    def _mail(self, configuration_set: ses.ConfigurationSet) -> None:
        # Every bounce, complaint, rejection and delayed delivery of the portal's mail is counted per
        # configuration set; SES's own reputation rates decide whether it keeps sending for the account.
        configuration_set.add_event_destination(
            "MailEvents",
            destination=ses.EventDestination.cloud_watch_dimensions([
                ses.CloudWatchDimension(name="ses:configuration-set",
                                        source=ses.CloudWatchDimensionSource.MESSAGE_TAG,
                                        default_value="unknown"),
            ]),
            events=[ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT, ses.EmailSendingEvent.REJECT,
                    ses.EmailSendingEvent.DELIVERY_DELAY, ses.EmailSendingEvent.SEND],
        )
        period = cdk.Duration.hours(1)
        self._alarm("MailBounceRate", cloudwatch.Metric(namespace="AWS/SES", metric_name="Reputation.BounceRate",
                                                        period=period, statistic="Maximum"),
                    SES_BOUNCE_RATE, "The account's SES bounce rate is at the level where SES starts a review.")
        self._alarm("MailComplaintRate", cloudwatch.Metric(namespace="AWS/SES",
                                                           metric_name="Reputation.ComplaintRate",
                                                           period=period, statistic="Maximum"),
                    SES_COMPLAINT_RATE, "The account's SES complaint rate is at the level where SES starts a review.")

    def _sms(self, config: StageConfig) -> None:
        period = cdk.Duration.hours(1)
        self._alarm("SmsDeliveryRate", cloudwatch.Metric(namespace="AWS/SNS", metric_name="SMSSuccessRate",
                                                         period=period, statistic="Average"),
                    SMS_SUCCESS_RATE, "Fewer than 90 % of the text messages (sign-in codes) reached the phones.")
        self._alarm("SmsMonthlySpend", cloudwatch.Metric(namespace="AWS/SNS", metric_name="SMSMonthToDateSpentUSD",
                                                         period=period, statistic="Maximum"),
                    Threshold(config.sms_monthly_spend_limit_usd * SMS_SPEND_SHARE, datapoints=1, periods=1),
                    f"Text messages this month cost {SMS_SPEND_SHARE:.0%} of the account's SMS spend limit "
                    f"(${config.sms_monthly_spend_limit_usd}); at the limit SNS stops sending codes.")

    def _alarm(self, construct_id: str, metric: cloudwatch.IMetric, threshold: Threshold, description: str) -> None:
        alarm = cloudwatch.Alarm(
            self.alarm_stack,
            construct_id,
            metric=metric,
            alarm_description=description,
            threshold=threshold.value,
            evaluation_periods=threshold.periods,
            datapoints_to_alarm=threshold.datapoints,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD if threshold.below
            else cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)

    def _dashboard(self, config: StageConfig, functions: Functions, api: Api, tables: Tables | None,
                   state_machines: Sequence[sfn.StateMachine], web_acls: Sequence[Waf]) -> cloudwatch.Dashboard:
        fns = list(functions.functions.values())
        dashboard = cloudwatch.Dashboard(self.alarm_stack, "Dashboard", dashboard_name=config.prefix,
                                         default_interval=cdk.Duration.hours(6))
        dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="API requests and errors", width=12, left=[
                api.rest_api.metric_count(period=PERIOD), api.rest_api.metric_client_error(period=PERIOD),
                api.rest_api.metric_server_error(period=PERIOD)]),
            cloudwatch.GraphWidget(title="API latency p50 / p90 / p99 (ms)", width=12, left=[
                api.rest_api.metric_latency(period=PERIOD, statistic=s) for s in ("p50", "p90", "p99")]),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Function errors", width=12,
                                   left=[f.metric_errors(period=PERIOD) for f in fns],
                                   legend_position=cloudwatch.LegendPosition.HIDDEN),
            cloudwatch.GraphWidget(title="Function p90 duration (ms)", width=12,
                                   left=[f.metric_duration(period=PERIOD, statistic="p90") for f in fns],
                                   legend_position=cloudwatch.LegendPosition.HIDDEN),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Sign-in failures and paused sign-ins", width=12, left=[
                self._emf_sum(SIGN_IN_FAILURE_METRICS, "sign-in failures"),
                self._emf_sum(SIGN_IN_PAUSE_METRICS, "sign-ins refused while paused")]),
            cloudwatch.GraphWidget(title="WAF blocked requests", width=12,
                                   left=[w.metric_blocked(PERIOD) for w in web_acls]),
        )
        if tables is not None or state_machines:
            dashboard.add_widgets(
                cloudwatch.GraphWidget(title="DynamoDB consumed capacity", width=12, left=[
                    t.metric_consumed_read_capacity_units(period=PERIOD) for t in (tables.tables.values()
                                                                                  if tables else ())]),
                cloudwatch.GraphWidget(title="Workflow executions failed", width=12, left=[
                    m.metric_failed(period=PERIOD) for m in state_machines]),
            )
        return dashboard
