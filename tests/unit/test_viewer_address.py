"""The client address behind CloudFront: CloudFront-Viewer-Address parsed strictly, sourceIp otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from functions.shared.core.config import settings
from functions.shared.core.http import client_address, request_meta_of, viewer_address

EDGE = "130.176.96.72"  # a CloudFront edge server: what sourceIp is behind the distribution


def _event(*values: str, multi: bool = True, name: str = "CloudFront-Viewer-Address") -> dict[str, Any]:
    headers: dict[str, Any] = {"User-Agent": "unit"}
    multi_headers: dict[str, Any] = {"User-Agent": ["unit"]}
    if values:
        headers[name] = values[-1]  # API Gateway's single-value map keeps the last
        multi_headers[name] = list(values)
    return {
        "resource": "/x", "path": "/x", "httpMethod": "GET", "headers": headers,
        "multiValueHeaders": multi_headers if multi else None, "queryStringParameters": None, "body": None,
        "requestContext": {"requestId": "r1", "identity": {"sourceIp": EDGE}, "stage": "dev"},
    }


@pytest.mark.parametrize(("value", "address"), [
    ("198.51.100.10:46532", "198.51.100.10"),
    ("2001:db8::1:46532", "2001:db8::1"),  # CloudFront's form: the last group is the port
    ("2001:0db8:0000:0000:0000:0000:0000:0001:443", "2001:db8::1"),  # canonical form, one counter per address
    ("[2001:db8::1]:46532", "2001:db8::1"),
    ("::1:0", "::1"),
    ("203.0.113.9:65535", "203.0.113.9"),
])
def test_well_formed_values_give_the_viewer_address(value: str, address: str) -> None:
    assert viewer_address(value) == address


@pytest.mark.parametrize("value", [
    "", "198.51.100.10", "198.51.100.10:", ":443", "198.51.100.10:65536", "198.51.100.10:123456",
    "198.51.100.10:-1", "198.51.100.10:4 3", " 198.51.100.10:443", "198.51.100.10:443 ", "198.51.100.10:443\n",
    "198.51.100.10:443, 203.0.113.9:443", "[198.51.100.10]:443", "[2001:db8::1]", "[2001:db8::1:443",
    "2001:db8::1%eth0:443", "999.1.1.1:443", "198.51.100:443", "example.org:443", "2001:db8:::1:443",
    "1.2.3.4.5:443", "0x7f.0.0.1:443", "unknown",
])
def test_malformed_values_give_nothing(value: str) -> None:
    assert viewer_address(value) is None


def test_behind_cloudfront_the_viewer_address_counts_not_the_edge() -> None:
    assert client_address(_event("198.51.100.10:46532"), trust_viewer_header=True) == "198.51.100.10"
    # the header name is case-insensitive, as HTTP's are
    event = _event("198.51.100.10:46532", name="cloudfront-viewer-address")
    assert client_address(event, trust_viewer_header=True) == "198.51.100.10"
    # an event without multiValueHeaders (single-value map only)
    assert client_address(_event("198.51.100.10:46532", multi=False), trust_viewer_header=True) == "198.51.100.10"


def test_without_the_setting_the_header_is_ignored() -> None:
    # Local and direct use: anyone could send the header, so only the connection's address counts.
    assert client_address(_event("198.51.100.10:46532"), trust_viewer_header=False) == EDGE


@pytest.mark.parametrize("values", [(), ("garbage",), ("198.51.100.10:443", "203.0.113.9:443"), ("",)])
def test_missing_repeated_or_malformed_header_falls_back_to_source_ip(values: tuple[str, ...]) -> None:
    assert client_address(_event(*values), trust_viewer_header=True) == EDGE


def test_request_meta_follows_the_stage_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    app = APIGatewayRestResolver()
    seen: list[str] = []

    @app.get("/x")
    def _x() -> dict[str, str]:
        seen.append(request_meta_of(app.current_event.raw_event).source_ip)
        return {}

    class Context:
        aws_request_id = "r1"

    for flag, expected in (("true", "198.51.100.10"), (None, EDGE), ("false", EDGE)):
        if flag is None:
            monkeypatch.delenv("TRUST_VIEWER_ADDRESS_HEADER", raising=False)
        else:
            monkeypatch.setenv("TRUST_VIEWER_ADDRESS_HEADER", flag)
        settings.cache_clear()
        try:
            app.resolve(_event("198.51.100.10:46532"), Context())
        finally:
            settings.cache_clear()
        assert seen.pop() == expected, flag


@pytest.mark.parametrize(("address", "counted"), [
    ("203.0.113.7", "203.0.113.7"),
    ("2001:db8:7:1:abcd::9", "2001:db8:7:1::/64"),
    ("2001:DB8:7:1::1", "2001:db8:7:1::/64"),
    ("::ffff:203.0.113.7", "203.0.113.7"),  # an IPv4 client on a dual-stack socket
    ("", ""),
    ("not-an-address", "not-an-address"),
])
def test_limits_count_an_ipv6_client_by_its_64_network(address: str, counted: str) -> None:
    from functions.shared.core.http import RequestMeta, counted_source

    assert counted_source(address) == counted
    assert RequestMeta("r", address, "ua").source == counted
