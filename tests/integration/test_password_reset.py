"""Self-service password reset through the local API Gateway adapter on moto."""

from __future__ import annotations

import re

import pyotp
import pytest

from functions.shared.store.models import Account, Device, Session
from tests.integration.browser import Browser
from tests.integration.helpers import STRONG, active_account, mails_to, sign_in

EMAIL = "jane.doe@clinic.example"
NEW = "Harbor-Lights-77"


@pytest.fixture
def user(gateway, clock) -> Browser:
    browser = Browser(gateway)
    active_account(browser)
    return browser


def completion(token: str, password: str) -> dict:
    """The reset form as the page sends it: the new password typed twice."""
    return {"token": token, "password": password, "confirm_password": password}


def reset_token() -> str:
    mail = [m for m in mails_to(EMAIL) if m.subject == "Reset your CareSource password"][-1]
    return re.search(r"reset\.html#token=([A-Za-z0-9_-]+)", mail.body).group(1)


def test_reset_request_answers_the_same_for_unknown_addresses(user):
    known = user.post("/password-resets", {"email": EMAIL})
    unknown = user.post("/password-resets", {"email": "nobody@clinic.example"})
    assert known.status == unknown.status == 202 and known.body == unknown.body
    assert mails_to("nobody@clinic.example") == []
    assert len(mails_to(EMAIL)) == 2  # activation + reset


def test_reset_link_changes_the_password_once_and_revokes_everything(user, gateway, clock):
    sign_in(user)
    started = user.post("/mfa/factors", {"kind": "totp"}).body
    user.post(f"/mfa/factors/{started['factor_id']}/confirm",
              {"code": pyotp.TOTP(started["secret"]).at(clock.now), "remember_device": True})
    assert len(list(Device.scan())) == 1 and len(list(Session.scan())) == 1

    anonymous = Browser(gateway)
    anonymous.post("/password-resets", {"email": EMAIL})
    token = reset_token()
    weak = anonymous.post("/password-resets/complete", completion(token, "jane.doe-2024"))
    assert weak.status == 422 and weak.body["errors"][0]["field"] == "password"
    # a password that breaks the rules and is typed differently the second time: both said at once
    mistyped = anonymous.post("/password-resets/complete", {**completion(token, "jane.doe-2024"),
                                                            "confirm_password": "jane.doe-2025"})
    assert {(e["field"], e["code"]) for e in mistyped.body["errors"]} >= {
        ("password", "password_policy"), ("confirm_password", "mismatch")}
    done = anonymous.post("/password-resets/complete", completion(token, NEW))
    assert done.status == 200
    again = anonymous.post("/password-resets/complete", completion(token, NEW + "x"))
    assert again.status == 403 and again.body["type"] == "/problems/reset-link-invalid"

    assert list(Session.scan()) == [] and list(Device.scan()) == []
    assert user.get("/sessions/current").status == 401  # the old session is gone
    assert mails_to(EMAIL)[-1].subject == "Your CareSource password was changed"
    assert sign_in(user, password=STRONG).status == 403
    assert sign_in(user, password=NEW).body["stage"] == "mfa"  # MFA still required, device forgotten


def test_reset_link_expires_after_an_hour(user, clock):
    user.post("/password-resets", {"email": EMAIL})
    clock.advance(hours=1, seconds=1)
    reply = user.post("/password-resets/complete", completion(reset_token(), NEW))
    assert reply.status == 403
    assert next(Account.scan()).password_changed_at is None


def test_reset_requests_are_rate_limited(user):
    statuses = [user.post("/password-resets", {"email": EMAIL}).status for _ in range(4)]
    assert statuses == [202, 202, 202, 429]


def test_using_one_reset_link_spends_every_older_one(user, clock):
    # Given two reset links, asked a minute apart
    user.post("/password-resets", {"email": EMAIL})
    older = reset_token()
    clock.advance(minutes=1)
    user.post("/password-resets", {"email": EMAIL})
    newer = reset_token()
    assert older != newer
    # When the newer one is used
    assert user.post("/password-resets/complete", completion(newer, NEW)).status == 200
    # Then the older one no longer works
    stale = user.post("/password-resets/complete", completion(older, "Another-Pass-42"))
    assert stale.status == 403 and stale.body["type"] == "/problems/reset-link-invalid"
    assert sign_in(user, password=NEW).status == 200


def test_a_stranger_using_up_the_reset_requests_does_not_lock_the_owner_out(user, gateway, clock):
    # Given an owner whose browser the account remembers
    sign_in(user)
    started = user.post("/mfa/factors", {"kind": "totp"}).body
    user.post(f"/mfa/factors/{started['factor_id']}/confirm",
              {"code": pyotp.TOTP(started["secret"]).at(clock.now), "remember_device": True})
    assert "__Host-device" in user.cookies
    mailed = len(mails_to(EMAIL))
    # When a stranger asks for reset links for the owner's address until refused, from one network ...
    stranger = Browser(gateway, ip="203.0.113.66")
    assert [stranger.post("/password-resets", {"email": EMAIL}).status for _ in range(4)] == [202] * 3 + [429]
    # ... the owner, elsewhere, still gets one
    elsewhere = Browser(gateway, ip="192.0.2.55")
    assert elsewhere.post("/password-resets", {"email": EMAIL}).status == 202
    # and from many networks, until the address's own limit is used up ...
    for n in range(20):
        Browser(gateway, ip=f"198.18.0.{n}").post("/password-resets", {"email": EMAIL})
    assert Browser(gateway, ip="198.18.1.1").post("/password-resets", {"email": EMAIL}).status == 429
    # ... the owner's remembered browser still gets a link
    assert user.post("/password-resets", {"email": EMAIL}).status == 202
    assert len(mails_to(EMAIL)) == mailed + 10 + 1
