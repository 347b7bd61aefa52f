"""Alarms on function errors and throttles, dead letters and API 5XX responses, sent to an encrypted SNS topic."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs._common import customer_key, pascal
from infra.constructs.api import Api
from infra.constructs.functions import Functions
from infra.routes import MAIL_SENDER

_PERIOD = cdk.Duration.minutes(5)


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, functions: Functions,
                 api: Api, mail_queues: tuple[sqs.IQueue, sqs.IQueue] | None = None) -> None:
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
        action = actions.SnsAction(self.topic)

        self.alarms: list[cloudwatch.Alarm] = []
        for name, fn in functions.functions.items():
            self._alarm(f"{pascal(name)}Errors", fn.metric_errors(period=_PERIOD, statistic="Sum"),
                        f"The {name} function failed (unhandled errors or timeouts).", action)
            self._alarm(f"{pascal(name)}Throttles", fn.metric_throttles(period=_PERIOD, statistic="Sum"),
                        f"The {name} function was throttled.", action)
        for name, queue in functions.dead_letter_queues.items():
            self._alarm(f"{pascal(name)}DeadLetters",
                        queue.metric_approximate_number_of_messages_visible(period=_PERIOD, statistic="Maximum"),
                        f"Events of the {name} function failed every retry and wait in its dead-letter queue "
                        f"({queue.queue_name}); handle them, then delete them from the queue.", action)
        if mail_queues is not None:
            queue, dead_letters = mail_queues
            self._alarm("MailDeadLetters",
                        dead_letters.metric_approximate_number_of_messages_visible(period=_PERIOD,
                                                                                   statistic="Maximum"),
                        f"Mail failed every try of the {MAIL_SENDER} function and waits in its dead-letter queue "
                        f"({dead_letters.queue_name}); once SES sends again, return it with "
                        "`make redrive STACK=<stack>` (each mail is sent once).", action)
            self._alarm("MailQueueAge",
                        queue.metric_approximate_age_of_oldest_message(period=_PERIOD, statistic="Maximum"),
                        "Mail has waited over 5 minutes in the mail queue: the sender is failing (SES?).", action,
                        threshold=300)
        self._alarm("Api5xx", api.rest_api.metric_server_error(period=_PERIOD, statistic="Sum"),
                    "The API answered with 5XX errors.", action)

    def _alarm(self, construct_id: str, metric: cloudwatch.Metric, description: str,
               action: actions.SnsAction, threshold: float = 1) -> None:
        alarm = metric.create_alarm(
            self,
            construct_id,
            alarm_description=description,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms.append(alarm)
