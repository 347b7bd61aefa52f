"""Sign-in, sessions and the authorizer, through the local API Gateway adapter on moto."""

from __future__ import annotations

import pyotp
import pytest

from functions.shared.store.models import Account, AuditEvent
from tests.integration.browser import Browser
from tests.integration.helpers import active_account, registration, sign_in

EMAIL = "jane.doe@clinic.example"


@pytest.fixture
def browser(gateway, clock) -> Browser:
    return Browser(gateway)


@pytest.fixture
def user(browser) -> Browser:
    active_account(browser)
    return browser


def enrol_totp(browser: Browser, clock) -> str:
    started = browser.post("/mfa/factors", {"kind": "totp"})
    assert started.status == 200, started.body
    seed = started.body["secret"]
    code = pyotp.TOTP(seed).at(clock.now)
    confirmed = browser.post(f"/mfa/factors/{started.body['factor_id']}/confirm",
                             {"code": code, "remember_device": False})
    assert confirmed.status == 200, confirmed.body
    return seed


def test_sign_in_sets_a_host_only_secure_cookie_and_asks_for_mfa_setup(user):
    reply = sign_in(user)
    assert reply.status == 200
    assert reply.body["stage"] == "mfa_setup" and reply.body["next"] == "/mfa-setup.html"
    [cookie] = reply.set_cookies
    assert cookie.startswith("__Host-session=")
    for attribute in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert attribute in cookie
    assert "Domain" not in cookie
    assert len(cookie.split(";")[0].split("=", 1)[1]) >= 43  # >= 256 bits


def test_email_is_case_insensitive_and_a_new_token_each_time(user):
    first = sign_in(user, login="JANE.DOE@clinic.example")
    second = sign_in(user)
    assert first.status == second.status == 200
    assert first.set_cookies[0] != second.set_cookies[0]


def _failure_signature(reply):
    headers = {k: v for k, v in reply.headers}
    return reply.status, reply.body, sorted(headers)


def test_unknown_user_wrong_password_and_deactivated_account_look_the_same(user, browser):
    unknown = sign_in(browser, login="nobody@clinic.example")
    wrong = sign_in(browser, password="Wrong-Password-99")
    account = next(Account.scan())
    account.update(actions=[Account.state.set("deactivated")])
    deactivated = sign_in(browser)
    assert unknown.status == 403
    assert _failure_signature(unknown) == _failure_signature(wrong) == _failure_signature(deactivated)
    outcomes = sorted(e.outcome for e in AuditEvent.scan() if e.action.startswith("signin"))
    assert outcomes == ["deactivated", "unknown_user", "wrong"]


def test_not_yet_activated_account_is_told_only_after_the_right_password(browser):
    assert browser.post("/registrations", registration(email=EMAIL)).status == 202
    assert sign_in(browser, password="Wrong-Password-99").status == 403
    reply = sign_in(browser)
    assert reply.status == 403 and reply.body["type"] == "/problems/account-not-activated"


def test_a_stranger_guessing_cannot_keep_the_owner_out(user, gateway, clock):
    attacker = Browser(gateway, ip="203.0.113.66")
    # Given a stranger who tries a wrong password for the owner's address, then one more every pause
    for _ in range(5):
        assert sign_in(attacker, password="Wrong-Password-99").status == 403
    waits = sign_in(attacker)  # that network now waits, even with the right password
    assert waits.status == 429 and waits.body["type"] == "/problems/rate-limited"
    assert 0 < int(waits.header("Retry-After")) <= 15 * 60
    # Then the owner, on their own network, signs in at once, again and again
    for _ in range(3):
        clock.advance(minutes=15)
        assert sign_in(attacker, password="Wrong-Password-99").status == 403
        assert sign_in(user).status == 200
    # and an unknown address is made to wait exactly the same way
    for _ in range(5):
        sign_in(attacker, login="nobody@clinic.example", password="Wrong-Password-99")
    unknown = sign_in(attacker, login="nobody@clinic.example")
    assert (unknown.status, unknown.body) == (429, waits.body)


def test_a_remembered_device_signs_in_while_its_network_waits(user, gateway, clock):
    # Given a browser the account remembers (MFA finished with "remember this device")
    sign_in(user)
    seed = enrol_totp(user, clock)
    factor_id = next(Account.scan()).factors[0].factor_id
    user.delete("/sessions/current")
    clock.advance(seconds=30)
    assert sign_in(user).body["stage"] == "mfa"
    user.post("/mfa/challenge", {"factor_id": factor_id})
    remembered = user.post("/mfa/verify", {"factor_id": factor_id, "code": pyotp.TOTP(seed).at(clock.now),
                                           "remember_device": True})
    assert remembered.status == 200 and "__Host-device" in user.cookies
    user.delete("/sessions/current")
    # When someone on the same network (an office behind one address) keeps failing
    office = Browser(gateway, ip=user.ip)
    for _ in range(6):
        sign_in(office, password="Wrong-Password-99")
    assert sign_in(office).status == 429
    # Then the remembered browser still signs in, straight to full access
    reply = sign_in(user)
    assert reply.status == 200 and reply.body["stage"] == "full"


def test_a_hundred_wrong_passwords_in_a_row_need_a_password_reset(user, gateway, clock):
    from tests.integration.helpers import mails_to

    # Given an account that already had 99 wrong passwords in a row (from many networks)
    account = next(Account.scan())
    account.update(actions=[Account.password_failures.set(99)])
    # When the hundredth comes
    assert sign_in(Browser(gateway, ip="203.0.113.100"), password="Wrong-Password-99").status == 403
    # Then the owner is mailed, and even the right password is refused with the usual answer
    assert mails_to(EMAIL)[-1].subject == "Reset your CareSource password to sign in again"
    refused = sign_in(user)
    assert refused.status == 403 and refused.body["type"] == "/problems/signin-failed"
    # until the password is reset
    assert user.post("/password-resets", {"email": EMAIL}).status == 202
    import re

    token = re.search(r"reset\.html#token=([A-Za-z0-9_-]+)", mails_to(EMAIL)[-1].body).group(1)
    assert user.post("/password-resets/complete", {"token": token, "password": "Quiet-Harbor-77",
                                                       "confirm_password": "Quiet-Harbor-77"}).status == 200
    assert sign_in(user, password="Quiet-Harbor-77").status == 200


def test_authorizer_refuses_missing_garbage_and_ended_sessions(user, clock):
    assert user.get("/sessions/current").status == 401
    user.cookies["__Host-session"] = "x" * 43
    assert user.get("/sessions/current").status == 401
    sign_in(user)
    assert user.get("/sessions/current").status == 200
    clock.advance(minutes=31)  # idle timeout
    reply = user.get("/sessions/current")
    assert reply.status == 401 and reply.header("Content-Type") == "application/problem+json"


def test_activity_keeps_a_session_alive_until_its_absolute_lifetime(user, clock):
    sign_in(user)
    enrol_totp(user, clock)  # a full session; one short of MFA lives ten minutes only
    for _ in range(24):
        clock.advance(minutes=29)
        assert user.get("/sessions/current").status == 200
    clock.advance(minutes=29)  # 12 h 05 min after sign-in
    assert user.get("/sessions/current").status == 401


def test_a_session_short_of_mfa_lives_ten_minutes_however_active(user, clock):
    sign_in(user)
    for _ in range(3):
        clock.advance(minutes=3)
        assert user.get("/mfa/factors").status == 200
    clock.advance(minutes=1, seconds=1)
    assert user.get("/mfa/factors").status == 401


def test_half_signed_in_sessions_reach_only_the_mfa_steps(user):
    sign_in(user)
    assert user.get("/mfa/factors").status == 200
    assert user.get("/mfa/devices").status == 403
    assert user.delete("/sessions").status == 403


def test_state_changing_requests_need_the_csrf_token(user, clock):
    sign_in(user)
    user.send_csrf = False
    assert user.post("/mfa/factors", {"kind": "email"}).status == 403
    user.send_csrf = True
    user.csrf = "forged" * 8
    assert user.post("/mfa/factors", {"kind": "email"}).status == 403
    user.csrf = user.get("/sessions/current").body["csrf_token"]
    assert user.post("/mfa/factors", {"kind": "email"}).status == 200


def test_sign_out_ends_the_session_server_side(user, clock):
    sign_in(user)
    token = user.cookies["__Host-session"]
    assert user.delete("/sessions/current").status == 200
    assert "__Host-session" not in user.cookies
    user.cookies["__Host-session"] = token  # replaying the old cookie does not work
    assert user.get("/sessions/current").status == 401


def test_sign_out_everywhere_ends_other_browsers_too(user, gateway, clock):
    sign_in(user)
    enrol_totp(user, clock)
    other = Browser(gateway, ip="198.51.100.8")
    sign_in(other)
    assert other.get("/sessions/current").status == 200
    assert user.delete("/sessions").status == 200
    assert other.get("/sessions/current").status == 401
    assert user.get("/sessions/current").status == 401


def test_cmo_signs_in_with_user_name_and_the_mailed_code_once(gateway, clock, plan):
    plan("cmo")
    from tests.integration.helpers import last_code
    from tests.integration.test_register import _solved_captcha, cmo_form

    browser = Browser(gateway)
    assert browser.post("/registrations", cmo_form(_solved_captcha())).status == 202
    code = last_code("office@group.example")
    assert sign_in(browser, login="office@group.example").status == 403  # user name only on this plan
    needs_code = sign_in(browser, login="FrontDesk1")
    assert needs_code.status == 403 and needs_code.body["type"] == "/problems/verification-code-required"
    wrong = sign_in(browser, login="frontdesk1", verification_code=f"{(int(code) + 1) % 10**6:06d}")
    assert wrong.status == 403 and wrong.body["errors"][0]["field"] == "verification_code"
    reply = sign_in(browser, login="frontdesk1", verification_code=code)
    assert reply.status == 200 and reply.body["stage"] == "mfa_setup"
    assert next(Account.scan()).state == "active"
    assert sign_in(browser, login="frontdesk1").status == 200  # no code after the first time


def test_cmo_asks_for_a_captcha_after_failures_from_many_networks_instead_of_refusing(gateway, clock, plan):
    plan("cmo")
    from tests.integration.helpers import last_code
    from tests.integration.test_register import _solved_captcha, cmo_form

    owner = Browser(gateway)
    assert owner.post("/registrations", cmo_form(_solved_captcha())).status == 202
    assert sign_in(owner, login="frontdesk1", verification_code=last_code("office@group.example")).status == 200
    # Given wrong passwords for the owner's user name from five networks (a botnet keeps each one quiet)
    for n in range(5):
        assert sign_in(Browser(gateway, ip=f"203.0.113.{n}"), login="frontdesk1",
                       password="Wrong-Password-99").status == 403
    # Then the owner is asked for a security code, not refused, and gets in with one
    asked = sign_in(owner, login="frontdesk1")
    assert asked.status == 403 and asked.body["type"] == "/problems/captcha-required"
    assert asked.body["errors"][0]["field"] == "captcha"
    solution = _solved_captcha()
    assert sign_in(owner, login="frontdesk1", captcha=solution).status == 200
    # and a solution is good for one attempt
    reused = sign_in(owner, login="frontdesk1", captcha=solution)
    assert reused.status == 422 and reused.body["errors"][0]["field"] == "captcha"
