"""Operations as synthesized: the alarms (which, on what, how eager), the dashboard, mail events."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from functions.shared.core.telemetry import NAMESPACE
from infra.constructs import monitoring
from infra.routes import FUNCTIONS
from tests.infra.helpers import Synth, logical_id, refs, resources

REPO = Path(__file__).resolve().parents[2]


def _alarms(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]


def _metric_names(alarm: dict[str, Any]) -> set[str]:
    if "MetricName" in alarm:
        return {alarm["MetricName"]}
    return {m["MetricStat"]["Metric"]["MetricName"] for m in alarm.get("Metrics", []) if "MetricStat" in m}


def _by_metric(template: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [a for a in _alarms(template) if name in _metric_names(a)]


def test_every_function_is_watched_for_errors_throttles_and_duration(dev: Synth, template: dict) -> None:
    for metric in ("Errors", "Throttles", "Duration"):
        watched = [a for a in _by_metric(template, metric) if a.get("Namespace") == "AWS/Lambda"]
        assert len(watched) == len(FUNCTIONS), metric
    for spec in FUNCTIONS:
        fn_id = logical_id(dev.stack, dev.stack.functions.functions[spec.name])
        (duration,) = [a for a in _by_metric(template, "Duration") if fn_id in set(refs(a["Dimensions"]))]
        assert duration["ExtendedStatistic"] == "p90"
        assert duration["Threshold"] == spec.timeout_s * 1000 * monitoring.FUNCTION_DURATION_SHARE


def test_api_step_functions_tables_waf_mail_and_sms_are_watched(dev: Synth, template: dict) -> None:
    (api_5xx,) = _by_metric(template, "5XXError")
    (latency,) = _by_metric(template, "Latency")
    assert latency["ExtendedStatistic"] == "p90"
    assert api_5xx["Threshold"] == monitoring.API_5XX.value
    machines = {logical_id(dev.stack, m) for m in (dev.stack.workflows.access_approval,
                                                    dev.stack.workflows.authorization_clock,
                                                    dev.stack.workflows.provider_export)}
    workflow_alarms = [a for a in _alarms(template) if {"ExecutionsFailed", "ExecutionsTimedOut"} <= _metric_names(a)]
    assert {next(iter(set(refs(a["Metrics"])) & machines)) for a in workflow_alarms} == machines
    tables = len(dev.stack.tables.tables)
    throttles = [a for a in _alarms(template) if {"ReadThrottleEvents", "WriteThrottleEvents"} <= _metric_names(a)]
    assert len(throttles) == tables
    assert len([a for a in _alarms(template) if "SystemErrors" in _metric_names(a)]) == tables
    for name in ("Reputation.BounceRate", "Reputation.ComplaintRate", "SMSSuccessRate", "SMSMonthToDateSpentUSD"):
        assert len(_by_metric(template, name)) == 1, name
    (sms,) = _by_metric(template, "SMSSuccessRate")
    assert sms["ComparisonOperator"] == "LessThanThreshold"
    (spend,) = _by_metric(template, "SMSMonthToDateSpentUSD")
    assert spend["Threshold"] == dev.stack.config.sms_monthly_spend_limit_usd * monitoring.SMS_SPEND_SHARE
    blocked = _by_metric(template, "BlockedRequests")
    assert sorted({d["Name"]: d["Value"] for d in a["Dimensions"]}["WebACL"] for a in blocked) == [
        "provider-portal-dev-caresource-api", "provider-portal-dev-caresource-edge"]


def test_sign_in_failures_and_pauses_are_watched_on_the_emitted_metrics(template: dict) -> None:
    emf = {m["MetricStat"]["Metric"]["MetricName"]: m["MetricStat"]["Metric"]
           for a in _alarms(template) for m in a.get("Metrics", [])
           if "MetricStat" in m and m["MetricStat"]["Metric"].get("Namespace") == NAMESPACE}
    assert set(emf) == (set(monitoring.SIGN_IN_FAILURE_METRICS) | set(monitoring.SIGN_IN_PAUSE_METRICS)
                        | set(monitoring.PORTAL_DATA_QUARANTINE_METRICS) | set(monitoring.FHIR_TOKEN_REFUSAL_METRICS))
    for metric in emf.values():
        # the functions' POWERTOOLS_SERVICE_NAME (Powertools' default dimension): this stage and plan only
        assert metric["Dimensions"] == [{"Name": "service", "Value": "provider-portal-dev-caresource"}]
    # Each name is '<action>.<outcome>' of an audited decision (functions/shared/core/audit.py counts them).
    source = "\n".join(p.read_text() for p in (REPO / "functions").rglob("*.py"))
    for name in emf:
        action, outcome = name.rsplit(".", 1)
        assert re.search(rf'"{re.escape(action)}"', source), action
        assert outcome == "wrong" or re.search(rf'"{re.escape(action)}", "{outcome}"', source), name


def test_no_alarm_pages_on_a_single_error(template: dict) -> None:
    once_is_enough = {"ApproximateNumberOfMessagesVisible",  # each dead letter is a lost event
                      "Reputation.BounceRate", "Reputation.ComplaintRate", "SMSMonthToDateSpentUSD",  # rates, money
                      "portal_data.import.quarantined"}  # each import with lines left out needs a look
    for alarm in _alarms(template):
        if _metric_names(alarm) & once_is_enough:
            continue
        eager = alarm["Threshold"] <= 1 and alarm.get("DatapointsToAlarm", alarm["EvaluationPeriods"]) == 1
        assert not eager or alarm["ComparisonOperator"] == "LessThanThreshold", alarm["AlarmDescription"]
        assert alarm.get("DatapointsToAlarm", 1) >= 2, alarm["AlarmDescription"]
        assert alarm["TreatMissingData"] == "notBreaching"


def test_functions_name_their_stage_and_plan_as_the_metrics_service(template: dict) -> None:
    for fn in resources(template, "AWS::Lambda::Function").values():
        env = fn["Properties"].get("Environment", {}).get("Variables", {})
        if "PORTAL_URL" in env:
            assert env["POWERTOOLS_SERVICE_NAME"] == "provider-portal-dev-caresource"


def test_dashboard_per_stack_and_every_alarm_notifies(dev: Synth, template: dict) -> None:
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "provider-portal-dev-caresource"
    topic_id = logical_id(dev.stack, dev.stack.monitoring.topic)
    for alarm in _alarms(template):
        assert list(refs(alarm["AlarmActions"])) == [topic_id] == list(refs(alarm["OKActions"]))
    assert not resources(template, "AWS::SNS::Subscription")  # dev names no alarm_email


def test_mail_bounces_and_complaints_are_recorded_per_configuration_set(dev: Synth, template: dict) -> None:
    (destination,) = resources(template, "AWS::SES::ConfigurationSetEventDestination").values()
    props = destination["Properties"]
    config_set_id = logical_id(dev.stack, dev.stack.notifications.configuration_set)
    assert props["ConfigurationSetName"] == {"Ref": config_set_id}
    event = props["EventDestination"]
    assert event["Enabled"] is True
    assert {"bounce", "complaint", "reject"} <= set(event["MatchingEventTypes"])
    assert event["CloudWatchDestination"]["DimensionConfigurations"][0]["DimensionName"] == "ses:configuration-set"
