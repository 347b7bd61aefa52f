"""Multi-factor authentication through the local API Gateway adapter on moto."""

from __future__ import annotations

import json

import pyotp
import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from devserver.push_device import PushDevice
from functions.shared.store.models import Account, Device
from tests.integration.browser import Browser
from tests.integration.conftest import REGION, sms_outbox
from tests.integration.helpers import active_account, last_code, mails_to, sign_in

EMAIL = "jane.doe@clinic.example"


@pytest.fixture
def user(gateway, clock) -> Browser:
    browser = Browser(gateway)
    active_account(browser)
    assert sign_in(browser).body["stage"] == "mfa_setup"
    return browser


def enrol_totp(browser: Browser, clock, remember: bool = False) -> tuple[str, str]:
    started = browser.post("/mfa/factors", {"kind": "totp"})
    assert started.status == 200
    assert started.body["otpauth_uri"].startswith("otpauth://totp/")
    assert started.body["qr_svg"].startswith("data:image/svg+xml")
    seed = started.body["secret"]
    reply = browser.post(f"/mfa/factors/{started.body['factor_id']}/confirm",
                         {"code": pyotp.TOTP(seed).at(clock.now), "remember_device": remember})
    assert reply.status == 200 and reply.body["stage"] == "full"
    return started.body["factor_id"], seed


def verify_totp(browser: Browser, factor_id: str, code: str, remember: bool = False):
    assert browser.post("/mfa/challenge", {"factor_id": factor_id}).status == 200
    return browser.post("/mfa/verify", {"factor_id": factor_id, "code": code, "remember_device": remember})


def test_totp_enrolment_stores_the_seed_encrypted_and_rotates_the_session(user, clock):
    before = user.cookies["__Host-session"]
    _, seed = enrol_totp(user, clock)
    assert user.cookies["__Host-session"] != before  # a new token after MFA
    [factor] = next(Account.scan()).factors
    assert factor.confirmed and factor.kind == "totp"
    assert seed not in factor.totp_secret_encrypted
    assert user.get("/mfa/devices").status == 200  # fully signed in now
    assert mails_to(EMAIL)[-1].subject == "Your CareSource sign-in methods changed"


def test_totp_code_cannot_be_replayed_and_a_wrong_code_is_refused(user, gateway, clock):
    factor_id, seed = enrol_totp(user, clock)
    used = pyotp.TOTP(seed).at(clock.now)
    again = Browser(gateway)
    assert sign_in(again).body["stage"] == "mfa"
    replay = verify_totp(again, factor_id, used)
    assert replay.status == 403 and replay.body["type"] == "/problems/code-wrong"
    assert verify_totp(again, factor_id, "000000" if used != "000000" else "111111").status == 403
    clock.advance(seconds=30)
    assert verify_totp(again, factor_id, pyotp.TOTP(seed).at(clock.now)).status == 200


def test_totp_accepts_one_step_of_clock_drift_but_not_two(user, gateway, clock):
    factor_id, seed = enrol_totp(user, clock)
    clock.advance(minutes=5)
    other = Browser(gateway)
    sign_in(other)
    assert verify_totp(other, factor_id, pyotp.TOTP(seed).at(clock.now, counter_offset=-2)).status == 403
    assert verify_totp(other, factor_id, pyotp.TOTP(seed).at(clock.now, counter_offset=-1)).status == 200


def test_remembered_device_skips_mfa_for_thirty_days_only(user, gateway, clock):
    factor_id, seed = enrol_totp(user, clock)
    assert user.delete("/sessions/current").status == 200
    sign_in(user)
    clock.advance(seconds=30)
    reply = verify_totp(user, factor_id, pyotp.TOTP(seed).at(clock.now), remember=True)
    assert reply.status == 200
    device_cookie = next(c for c in reply.set_cookies if c.startswith("__Host-device="))
    assert "HttpOnly" in device_cookie and "Secure" in device_cookie and "Expires=" in device_cookie
    [device] = list(Device.scan())
    assert device.device_hash not in device_cookie  # only the hash is stored

    user.delete("/sessions/current")
    clock.advance(days=29)
    assert sign_in(user).body["stage"] == "full"
    assert sign_in(user, password="Wrong-Password-99").status == 403  # a password is always needed
    user.delete("/sessions/current")
    clock.advance(days=1, seconds=1)
    assert sign_in(user).body["stage"] == "mfa"


def test_devices_can_be_listed_and_revoked(user, clock):
    factor_id, seed = enrol_totp(user, clock)
    user.delete("/sessions/current")
    sign_in(user)
    clock.advance(seconds=30)
    verify_totp(user, factor_id, pyotp.TOTP(seed).at(clock.now), remember=True)
    [listed] = user.get("/mfa/devices").body["devices"]
    assert listed["label"] == "Chrome on Linux"
    assert user.delete(f"/mfa/devices/{listed['device_id']}").status == 200
    assert user.get("/mfa/devices").body["devices"] == []
    user.delete("/sessions/current")
    assert sign_in(user).body["stage"] == "mfa"


def test_email_code_is_single_use_expires_and_allows_five_tries(user, gateway, clock):
    started = user.post("/mfa/factors", {"kind": "email"})
    assert started.status == 200 and started.body["sent_to"] == "j•••@clinic.example"
    factor_id = started.body["factor_id"]
    code = last_code(EMAIL)
    assert user.post(f"/mfa/factors/{factor_id}/confirm", {"code": code}).status == 200

    other = Browser(gateway)
    sign_in(other)
    sent = other.post("/mfa/challenge", {"factor_id": factor_id})
    assert sent.status == 200
    code = last_code(EMAIL)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        assert other.post("/mfa/verify", {"factor_id": factor_id, "code": wrong}).status == 403
    assert other.post("/mfa/verify", {"factor_id": factor_id, "code": wrong}).status == 403
    paused = other.post("/mfa/verify", {"factor_id": factor_id, "code": code})
    assert paused.status == 429 and paused.body["type"] == "/problems/code-paused"  # account-wide pause
    clock.advance(seconds=31)
    spent = other.post("/mfa/verify", {"factor_id": factor_id, "code": code})  # and this code is used up
    assert spent.status == 429 and spent.body["type"] == "/problems/code-tries-used"

    clock.advance(minutes=5)
    sign_in(other)  # the half-signed-in session lives ten minutes: start a new one
    other.post("/mfa/challenge", {"factor_id": factor_id})
    code = last_code(EMAIL)
    clock.advance(minutes=10, seconds=1)
    expired = other.post("/mfa/verify", {"factor_id": factor_id, "code": code})
    assert expired.status == 401  # the code expired, and with it the session that was waiting for it


def test_code_sends_are_rate_limited(user):
    factor = user.post("/mfa/factors", {"kind": "email"}).body["factor_id"]
    user.post(f"/mfa/factors/{factor}/confirm", {"code": last_code(EMAIL)})
    user.delete("/sessions/current")
    sign_in(user)
    statuses = [user.post("/mfa/challenge", {"factor_id": factor}).status for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # five sends per 15 minutes, enrolment included


def test_sms_factor_validates_the_number_and_stores_e164(user):
    bad = user.post("/mfa/factors", {"kind": "sms", "phone": "12345"})
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "phone"
    started = user.post("/mfa/factors", {"kind": "sms", "phone": "(415) 555-2671"})
    assert started.status == 200 and started.body["sent_to"].endswith("2671")
    [(phone, text)] = list(sms_outbox().values())
    assert phone == "+14155552671"
    code = text.split("code: ")[1][:6]
    assert user.post(f"/mfa/factors/{started.body['factor_id']}/confirm", {"code": code}).status == 200
    assert next(Account.scan()).factors[0].phone == "+14155552671"


def test_a_password_only_session_cannot_add_a_factor(user, gateway, clock):
    enrol_totp(user, clock)
    attacker = Browser(gateway)
    sign_in(attacker)  # knows the password, not the second factor
    reply = attacker.post("/mfa/factors", {"kind": "email"})
    assert reply.status == 403 and reply.body["type"] == "/problems/mfa-required"


def _pushes(endpoint_arn: str) -> list[dict]:
    from moto.sns.models import sns_backends

    endpoint = sns_backends[DEFAULT_ACCOUNT_ID][REGION].platform_endpoints[endpoint_arn]
    return [json.loads(json.loads(m)["default"]) for m in endpoint.messages.values()]


def test_push_enrol_challenge_number_match_and_approve(user, gateway, clock):
    enrol_totp(user, clock)  # first factor; push is added as the second
    started = user.post("/mfa/factors", {"kind": "push"})
    device = PushDevice.new()
    enrolled = user.post("/push/devices", device.enrol_request(started.body["enrol_code"], "Pixel"))
    assert enrolled.status == 200
    assert user.post("/push/devices", device.enrol_request(started.body["enrol_code"])).status == 404
    assert user.post(f"/mfa/factors/{started.body['factor_id']}/confirm", {}).status == 200
    push_factor = next(f for f in next(Account.scan()).factors if f.kind == "push")
    assert push_factor.confirmed and push_factor.label == "Push to Pixel"

    other = Browser(gateway)
    sign_in(other)
    sent = other.post("/mfa/challenge", {"factor_id": push_factor.factor_id})
    number = sent.body["push_number"]
    assert len(number) == 2
    pending = other.post("/mfa/verify", {"factor_id": push_factor.factor_id})
    assert pending.status == 202 and pending.body["status"] == "pending"

    [push] = _pushes(push_factor.push_endpoint)
    # The number is matched by the person, not delivered (no field carries it; random ids may contain
    # its two digits by chance, so the payload's values are compared whole).
    assert set(push) == {"type", "challenge_ref", "factor_id", "portal"} and number not in push.values()
    forged = PushDevice.new().answer_request(push["challenge_ref"], number)
    assert other.post("/push/responses", forged).status == 404
    assert other.post("/push/responses", device.answer_request(push["challenge_ref"], number)).status == 200
    assert other.post("/push/responses", device.answer_request(push["challenge_ref"], number)).status == 404
    done = other.post("/mfa/verify", {"factor_id": push_factor.factor_id})
    assert done.status == 200 and done.body["stage"] == "full"


def _push_factor(user: Browser, clock) -> tuple[PushDevice, object]:
    enrol_totp(user, clock)
    started = user.post("/mfa/factors", {"kind": "push"})
    device = PushDevice.new()
    user.post("/push/devices", device.enrol_request(started.body["enrol_code"]))
    user.post(f"/mfa/factors/{started.body['factor_id']}/confirm", {})
    return device, next(f for f in next(Account.scan()).factors if f.kind == "push")


def test_a_wrong_push_number_denies_the_sign_in_and_ends_the_challenge(user, gateway, clock):
    # Given a sign-in that pushed a number to match, and someone tapping a wrong number on the device
    device, factor = _push_factor(user, clock)
    intruder = Browser(gateway, ip="203.0.113.5")
    sign_in(intruder)
    number = intruder.post("/mfa/challenge", {"factor_id": factor.factor_id}).body["push_number"]
    [push] = _pushes(factor.push_endpoint)
    wrong = device.answer_request(push["challenge_ref"], "00" if number != "00" else "11")
    refused = intruder.post("/push/responses", wrong)
    assert refused.status == 409 and refused.body["type"] == "/problems/push-number-mismatch"
    # Then no second guess is taken, not even the right number, and the sign-in is denied
    assert intruder.post("/push/responses", device.answer_request(push["challenge_ref"], number)).status == 404
    denied = intruder.post("/mfa/verify", {"factor_id": factor.factor_id})
    assert denied.status == 403 and denied.body["type"] == "/problems/push-denied"


def test_push_denied_on_the_device_refuses_the_sign_in(user, gateway, clock):
    device, factor = _push_factor(user, clock)
    other = Browser(gateway)
    sign_in(other)
    number = other.post("/mfa/challenge", {"factor_id": factor.factor_id}).body["push_number"]
    [push] = _pushes(factor.push_endpoint)
    other.post("/push/responses", device.answer_request(push["challenge_ref"], number, approve=False))
    reply = other.post("/mfa/verify", {"factor_id": factor.factor_id})
    assert reply.status == 403 and reply.body["type"] == "/problems/push-denied"


def test_removing_a_factor_needs_the_password_keeps_one_and_revokes_devices(user, clock):
    totp_id, _ = enrol_totp(user, clock, remember=True)
    email_factor = user.post("/mfa/factors", {"kind": "email"}).body["factor_id"]
    user.post(f"/mfa/factors/{email_factor}/confirm", {"code": last_code(EMAIL)})
    assert user.delete(f"/mfa/factors/{totp_id}", {"password": "Wrong-Password-99"}).status == 403
    assert user.delete(f"/mfa/factors/{totp_id}", {"password": "Lantern-Orbit-42"}).status == 200
    last = user.delete(f"/mfa/factors/{email_factor}", {"password": "Lantern-Orbit-42"})
    assert last.status == 409 and last.body["type"] == "/problems/last-factor"
    assert list(Device.scan()) == []
    assert [f.kind for f in next(Account.scan()).factors] == ["email"]


def test_a_set_up_session_left_open_cannot_enrol_once_the_owner_set_up_mfa(user, gateway, clock):
    # Given a password-only session opened (by someone who knows the password) before the owner set up MFA
    leftover = Browser(gateway, ip="203.0.113.66")
    assert sign_in(leftover).body["stage"] == "mfa_setup"
    # When the owner confirms the first factor
    enrol_totp(user, clock)
    # Then every other session of the account is over: the leftover cannot add its own factor
    reply = leftover.post("/mfa/factors", {"kind": "email"})
    assert reply.status == 401  # its session ended with the first factor
    assert user.get("/sessions/current").body["stage"] == "full"  # the owner's own session lives on
    assert next(Account.scan()).factors[0].kind == "totp" and len(next(Account.scan()).factors) == 1


def test_adding_a_factor_later_needs_a_recent_sign_in_or_the_password(user, clock):
    enrol_totp(user, clock)
    # Given a full session that signed in more than five minutes ago (kept alive by activity)
    clock.advance(minutes=4)
    assert user.get("/mfa/factors").status == 200
    clock.advance(minutes=2)
    # Then adding a factor asks for the password, and a wrong one counts like a failed sign-in
    asked = user.post("/mfa/factors", {"kind": "email"})
    assert asked.status == 403 and asked.body["type"] == "/problems/reauthentication-required"
    wrong = user.post("/mfa/factors", {"kind": "email", "password": "Wrong-Password-99"})
    assert wrong.status == 403 and wrong.body["type"] == "/problems/reauthentication-failed"
    assert next(Account.scan()).password_failures == 1
    added = user.post("/mfa/factors", {"kind": "email", "password": "Lantern-Orbit-42"})
    assert added.status == 200 and added.body["sent_to"]


def test_guessing_the_password_through_factor_removal_counts_and_pauses(user, clock):
    totp_id, _ = enrol_totp(user, clock)
    email_factor = user.post("/mfa/factors", {"kind": "email"}).body["factor_id"]
    user.post(f"/mfa/factors/{email_factor}/confirm", {"code": last_code(EMAIL)})
    # When a session tries passwords through DELETE /mfa/factors/{id}
    for _ in range(5):
        assert user.delete(f"/mfa/factors/{totp_id}", {"password": "Wrong-Password-99"}).status == 403
    # Then each try counted with the sign-in failures, and now even the right password waits
    assert next(Account.scan()).password_failures == 5
    paused = user.delete(f"/mfa/factors/{totp_id}", {"password": "Lantern-Orbit-42"})
    assert paused.status == 403 and paused.body["type"] == "/problems/reauthentication-failed"
    assert len(next(Account.scan()).factors) == 2
