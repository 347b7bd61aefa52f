"""Behind CloudFront every request comes from an edge server: per-source limits and audit records must
count the viewer (CloudFront-Viewer-Address) on stages that trust it, and only there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from functions.register.handler import lambda_handler as register
from functions.shared.core.config import settings
from functions.shared.store.models import AuditEvent
from tests.integration.conftest import call
from tests.integration.helpers import registration

EDGE = "130.176.96.72"  # one CloudFront edge server in front of everyone below
LIMIT = 20  # registrations per source and hour (plan caresource)


@pytest.fixture
def behind_cloudfront(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TRUST_VIEWER_ADDRESS_HEADER", "true")  # what infra sets on these functions
    settings.cache_clear()
    yield
    settings.cache_clear()


def _register(n: int, viewer: str | None) -> int:
    headers = {"CloudFront-Viewer-Address": viewer} if viewer else None
    return call(register, "POST", "/registrations", registration(email=f"user{n}@clinic.example"),
                headers=headers, source_ip=EDGE)[0]


def test_one_viewer_at_its_limit_does_not_hold_up_others_behind_the_same_edge(aws, behind_cloudfront):
    assert [_register(n, "198.51.100.7:50001") for n in range(LIMIT + 1)] == [202] * LIMIT + [429]
    # a new port is the same viewer; an IPv6 viewer and another IPv4 one are not held up
    assert _register(100, "198.51.100.7:50002") == 429
    assert _register(101, "2001:db8::7:443") == 202
    assert _register(102, "203.0.113.9:40000") == 202
    sources = {e.source_ip for e in AuditEvent.scan() if e.action == "account.register"}
    assert sources == {"198.51.100.7", "2001:db8::7", "203.0.113.9"}  # the viewers, never the edge


def test_a_malformed_viewer_address_counts_as_the_edge(aws, behind_cloudfront):
    assert _register(0, "not-an-address") == 202
    assert {e.source_ip for e in AuditEvent.scan()} == {EDGE}


def test_without_the_setting_the_header_is_ignored(aws):
    # Local and direct use: a client could send any value, so the connection's address counts.
    answers = [_register(n, f"198.51.100.{n}:443") for n in range(LIMIT + 1)]
    assert answers == [202] * LIMIT + [429]
    assert {e.source_ip for e in AuditEvent.scan()} == {EDGE}
