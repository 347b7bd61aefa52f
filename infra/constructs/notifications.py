"""SES: the verified domain the portal mails from, and the configuration set every message uses; the mail
queue the steps put mail on, and its dead-letter queue (functions/mail_sender delivers it)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs._common import customer_key, removal_policy

# The sender's timeout is 30 s: a message comes back 6 timeouts later (AWS's guidance for SQS event
# sources), so a batch still running is never handed out again.
MAIL_VISIBILITY = cdk.Duration.minutes(3)
# Receives before a message moves to the dead-letter queue: about 15 minutes of SES trouble.
MAIL_MAX_RECEIVES = 5
MAIL_RETENTION = cdk.Duration.days(4)
MAIL_DEAD_LETTER_RETENTION = cdk.Duration.days(14)  # counted from the first enqueue (standard queues)


class Notifications(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.sender = config.mail_sender
        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            reputation_metrics=True,
            sending_enabled=True,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
            tls_policy=ses.ConfigurationSetTlsPolicy.REQUIRE,
        )
        # Easy DKIM: publish the three CNAME records (see the identity's DKIM tokens) to verify the domain.
        self.identity = ses.EmailIdentity(
            self,
            "Domain",
            identity=ses.Identity.domain(config.mail_domain),
            configuration_set=self.configuration_set,
        )
        self.configuration_set_arn = cdk.Stack.of(self).format_arn(
            service="ses",
            resource="configuration-set",
            resource_name=self.configuration_set.configuration_set_name,
        )

        # Mail waits here for the sender. The bodies hold activation links and codes: encrypted with a
        # customer key, and TLS only.
        self.queue_key = customer_key(self, "MailQueueKey", retain=config.retain,
                                      description="Encrypts the portal's mail queue and its dead letters")
        self.dead_letters = sqs.Queue(
            self,
            "MailDeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.queue_key,
            enforce_ssl=True,
            retention_period=MAIL_DEAD_LETTER_RETENTION,
            removal_policy=removal_policy(config.retain),
        )
        self.queue = sqs.Queue(
            self,
            "MailQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.queue_key,
            data_key_reuse=cdk.Duration.minutes(15),
            enforce_ssl=True,
            visibility_timeout=MAIL_VISIBILITY,
            retention_period=MAIL_RETENTION,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=MAIL_MAX_RECEIVES),
            removal_policy=removal_policy(config.retain),
        )

    @staticmethod
    def push_endpoints(platform_arn: str) -> str:
        """arn:...:app/GCM/portal -> arn:...:endpoint/GCM/portal/* (the app's device endpoints)."""
        return platform_arn.replace(":app/", ":endpoint/", 1) + "/*"
