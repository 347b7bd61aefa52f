"""Pure sign-in rules: lockout delays, CSRF tokens, TOTP steps, cookies."""

from datetime import UTC, datetime, timedelta

import pyotp

from functions.shared.services.security.lockout import delay_after, is_locked, locked_until
from functions.shared.services.security.totp import matching_step, new_seed
from functions.shared.services.sessions import csrf_ok, csrf_token, read_cookie, session_cookie

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_four_failures_are_free_then_delays_double_up_to_fifteen_minutes():
    assert [delay_after(n) for n in range(5)] == [timedelta(0)] * 5
    assert delay_after(5) == timedelta(seconds=30)
    assert delay_after(6) == timedelta(minutes=1)
    assert delay_after(7) == timedelta(minutes=2)
    assert delay_after(50) == timedelta(minutes=15)


def test_lock_is_over_when_its_time_has_come():
    until = locked_until(5, NOW)
    assert is_locked(until, NOW + timedelta(seconds=29))
    assert not is_locked(until, NOW + timedelta(seconds=30))
    assert locked_until(3, NOW) is None and not is_locked(None, NOW)


def test_csrf_token_is_bound_to_the_session_token():
    assert csrf_ok("session-a", csrf_token("session-a"))
    assert not csrf_ok("session-b", csrf_token("session-a"))
    assert not csrf_ok("session-a", None)
    assert csrf_token("session-a") != "session-a"


def test_totp_step_within_one_step_of_drift():
    seed = new_seed()
    assert len(seed) == 32
    totp = pyotp.TOTP(seed)
    step = int(NOW.timestamp()) // 30
    assert matching_step(seed, totp.at(NOW), NOW) == step
    assert matching_step(seed, totp.at(NOW - timedelta(seconds=30)), NOW) == step - 1
    assert matching_step(seed, totp.at(NOW + timedelta(seconds=30)), NOW) == step + 1
    assert matching_step(seed, totp.at(NOW - timedelta(seconds=60)), NOW) is None


def test_cookie_attributes_and_parsing():
    text = str(session_cookie("tok"))
    for attribute in ("__Host-session=tok", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"):
        assert attribute in text
    assert read_cookie("a=1; __Host-session=tok; b=2", "__Host-session") == "tok"
    assert read_cookie('bad"cookie', "__Host-session") is None
    assert read_cookie(None, "__Host-session") is None


def test_cookies_that_break_rfc_6265_do_not_hide_ours():
    # Set by other sites on a parent domain: spaces, commas, quotes, no '=' at all.
    for header in ("name=John Smith; __Host-session=tok", 'x="a,b"; weird; __Host-session=tok; y=1 2',
                   "__Host-session=tok; name=John Smith", "  __Host-session = tok ;", '__Host-session="tok"'):
        assert read_cookie(header, "__Host-session") == "tok", header
    assert read_cookie("__Host-session=first; __Host-session=second", "__Host-session") == "first"
    assert read_cookie("x__Host-session=tok; __Host-sessionx=tok", "__Host-session") is None
    assert read_cookie("__Host-session=", "__Host-session") is None
