"""The cost model's arithmetic on known call lists (the bench feeds it measured ones)."""

from __future__ import annotations

import pytest

from bench import cost, prices
from bench.aws_calls import Result


def _result(endpoint: str, calls: list[str]) -> Result:
    return Result(endpoint, None, [200, 200], calls, calls)


def _results(read_calls: list[str]) -> list[Result]:
    return [
        _result(cost.SIGN_IN, ["dynamodb.Query", "dynamodb.TransactWriteItems"]),
        _result(cost.MFA, ["dynamodb.GetItem", "dynamodb.TransactWriteItems", "kms.Decrypt"]),
        _result(cost.REGISTER, ["dynamodb.TransactWriteItems", "ses.SendEmail"]),
        _result(cost.ACTIVATE, ["dynamodb.GetItem", "dynamodb.TransactWriteItems"]),
        *(_result(endpoint, read_calls) for endpoint in cost.PORTAL_READS),
    ]


def test_each_service_is_priced_from_the_calls_and_the_usage() -> None:
    usage = cost.Usage()
    costs = cost.per_user(_results(["dynamodb.GetItem", "dynamodb.Query"]), usage)
    api_requests = (usage.sign_ins * (1 + usage.other_api_calls_per_visit) + usage.sign_ins * usage.code_share
                    + usage.portal_reads + 2 * usage.new_user_share)
    assert costs["API Gateway"] == pytest.approx(api_requests * prices.API_GATEWAY_REST_PER_MILLION / 1e6)
    reads = usage.portal_reads + usage.sign_ins * usage.other_api_calls_per_visit
    codes = usage.sign_ins * usage.code_share
    rru = usage.sign_ins * 1 + codes * 1 + reads * 2 + usage.new_user_share * 1
    wru = 6 * (usage.sign_ins + codes + 2 * usage.new_user_share)
    assert costs["DynamoDB"] == pytest.approx(rru * prices.DYNAMODB_PER_MILLION_RRU / 1e6
                                              + wru * prices.DYNAMODB_PER_MILLION_WRU / 1e6)
    mails = usage.new_user_share + codes * usage.email_share
    assert costs["SES"] == pytest.approx(mails * prices.SES_PER_THOUSAND / 1e3)
    assert costs["KMS"] == pytest.approx(codes * prices.KMS_PER_10K_REQUESTS / 1e4)
    assert costs["SNS SMS"] == pytest.approx(codes * usage.sms_share * prices.SMS_US_PER_MESSAGE)
    assert "WAF account takeover prevention" not in costs
    with_atp = cost.per_user(_results(["dynamodb.GetItem"]), usage, atp=True)
    assert with_atp["WAF account takeover prevention"] == pytest.approx(usage.sign_ins / 1000)


def test_more_calls_per_read_cost_more() -> None:
    cheap = sum(cost.per_user(_results(["dynamodb.GetItem"])).values())
    dear = sum(cost.per_user(_results(["dynamodb.GetItem"] * 5 + ["kms.Decrypt"])).values())
    assert dear > cheap


def test_cognito_essentials_free_tier_and_list_price() -> None:
    assert cost.cognito_per_mau(10_000) == 0
    assert cost.cognito_per_mau(100_000) == pytest.approx(90_000 * 0.015 / 100_000)


def test_report_prints_each_tier_beside_cognito_with_the_price_date() -> None:
    text = cost.report(_results(["dynamodb.GetItem", "dynamodb.Query"]))
    for tier in ("10,000", "100,000", "1,000,000"):
        assert tier in text
    assert prices.PRICES_AS_OF in text and "Cognito" in text


def test_a_journey_bench_could_not_measure_is_an_error_not_a_zero() -> None:
    broken = _results(["dynamodb.GetItem"])
    broken[0] = Result(cost.SIGN_IN, None, [], [], [], error="boom")
    with pytest.raises(ValueError, match="no usable"):
        cost.per_user(broken)


def test_journeys_name_endpoints_the_bench_measures() -> None:
    import inspect

    from bench import aws_calls

    source = inspect.getsource(aws_calls.Portal.scenarios)
    for endpoint in (cost.SIGN_IN, cost.MFA, cost.REGISTER, cost.ACTIVATE, *cost.PORTAL_READS):
        assert f'Scenario("{endpoint}"' in source, endpoint
