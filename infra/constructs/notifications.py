"""SES: the verified domain the portal mails from, and the configuration set every message uses."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.config import StageConfig


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

    @staticmethod
    def push_endpoints(platform_arn: str) -> str:
        """arn:...:app/GCM/portal -> arn:...:endpoint/GCM/portal/* (the app's device endpoints)."""
        return platform_arn.replace(":app/", ":endpoint/", 1) + "/*"
