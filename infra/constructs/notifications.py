"""SES: the verified domain the portal mails from, and the configuration set every message uses; the mail
queue the steps put mail on, and its dead-letter queue (functions/mail_sender delivers it).

Receiving servers trust the mail by three DNS records sets: DKIM (three CNAMEs to SES's keys), a MAIL FROM
subdomain (MX and SPF), and a DMARC policy. `dns_records` lists them all (the stack outputs them); where
the stage names a Route 53 zone holding the mail domain, the stack publishes DKIM and MAIL FROM itself. The
DMARC policy is the domain owner's decision (one record per domain, often there already): output only.
"""

from __future__ import annotations

from typing import NamedTuple

import aws_cdk as cdk
from aws_cdk import aws_route53 as route53
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
MAIL_FROM_LABEL = "bounce"  # bounces go to bounce.<mail domain>, which aligns SPF with the From domain
SPF = "v=spf1 include:amazonses.com ~all"
MAIL_FROM_MX_PRIORITY = 10
# Quarantine what fails both DKIM and SPF alignment; strict DKIM alignment (SES signs as the mail domain).
DMARC = "v=DMARC1; p=quarantine; adkim=s; aspf=r"


class DnsRecord(NamedTuple):
    type: str
    name: str
    value: str


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
        # Easy DKIM (2048-bit keys SES rotates): the three CNAMEs verify the domain and sign every message.
        self.mail_domain = config.mail_domain
        self.mail_from_domain = f"{MAIL_FROM_LABEL}.{config.mail_domain}"
        self.identity = ses.EmailIdentity(
            self,
            "Domain",
            identity=ses.Identity.domain(config.mail_domain),
            configuration_set=self.configuration_set,
            mail_from_domain=self.mail_from_domain,
            # Until the MX record is published, mail goes out with SES's own MAIL FROM rather than not at all.
            mail_from_behavior_on_mx_failure=ses.MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
        )
        self.published: list[route53.RecordSet] = []
        zone_name = config.hosted_zone_name
        if config.hosted_zone_id and zone_name and (config.mail_domain == zone_name
                                                    or config.mail_domain.endswith("." + zone_name)):
            zone = route53.HostedZone.from_hosted_zone_attributes(self, "Zone", hosted_zone_id=config.hosted_zone_id,
                                                                  zone_name=zone_name)
            self._publish(zone)
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

    def dns_records(self) -> dict[str, DnsRecord]:
        """Every record receiving servers check, by output name (names without the trailing dot)."""
        records = {f"MailDkim{i}": DnsRecord("CNAME", record.name, record.value)
                   for i, record in enumerate(self.identity.dkim_records, start=1)}
        records["MailFromMx"] = DnsRecord("MX", self.mail_from_domain,
                                          f"{MAIL_FROM_MX_PRIORITY} {self._feedback_host()}")
        records["MailFromSpf"] = DnsRecord("TXT", self.mail_from_domain, f'"{SPF}"')
        records["MailDmarc"] = DnsRecord("TXT", f"_dmarc.{self.mail_domain}", f'"{DMARC}"')
        return records

    def _publish(self, zone: route53.IHostedZone) -> None:
        # A name ending in "." is taken as complete: the DKIM names are tokens CDK cannot see the zone in.
        for i, record in enumerate(self.identity.dkim_records, start=1):
            self.published.append(route53.CnameRecord(self, f"Dkim{i}", zone=zone, record_name=f"{record.name}.",
                                                      domain_name=record.value))
        self.published.append(route53.MxRecord(
            self, "MailFromMx", zone=zone, record_name=f"{self.mail_from_domain}.",
            values=[route53.MxRecordValue(host_name=self._feedback_host(), priority=MAIL_FROM_MX_PRIORITY)]))
        self.published.append(route53.TxtRecord(self, "MailFromSpf", zone=zone, record_name=f"{self.mail_from_domain}.",
                                                values=[SPF]))

    def _feedback_host(self) -> str:
        """Where SES takes bounces for a MAIL FROM domain in this region."""
        return f"feedback-smtp.{cdk.Stack.of(self).region}.amazonses.com"

    @staticmethod
    def push_endpoints(platform_arn: str) -> str:
        """arn:...:app/GCM/portal -> arn:...:endpoint/GCM/portal/* (the app's device endpoints)."""
        return platform_arn.replace(":app/", ":endpoint/", 1) + "/*"
