"""Sign-in rules on the in-memory store: one answer for every failure, pauses, first sign-in with a code."""

from dataclasses import replace
from datetime import timedelta

import pytest

from functions.shared.core.audit import audit_event
from functions.shared.core.errors import Problem
from functions.shared.core.plans import plan_profile
from functions.shared.core.states import AccountState, FactorKind, SessionStage
from functions.shared.services.security.secrets import hash_secret
from functions.shared.store.accounts import USERNAME_KEY, Factor
from functions.shared.store.devices import DeviceRecord
from functions.signin import logic
from functions.signin.models import SignInRequest
from tests.unit.identity import EMAIL, META, NOW, PASSWORD, WRONG, active_account, install_fakes

CARESOURCE = plan_profile("caresource")
CMO = plan_profile("cmo")


@pytest.fixture
def sent(monkeypatch):
    return install_fakes(monkeypatch)


def sign_in(login=EMAIL, password=PASSWORD, plan=CARESOURCE, now=NOW, **extra):
    return logic.sign_in(SignInRequest(login=login, password=password, **extra), plan, META, None, now)


OTHER_NETWORK = replace(META, source_ip="192.0.2.44")


def refusal(**kwargs) -> Problem:
    with pytest.raises(Problem) as refused:
        sign_in(**kwargs)
    return refused.value


def test_unknown_user_wrong_password_and_deactivated_get_the_same_problem(repos, sent):
    account = active_account(repos)
    unknown = refusal(login="nobody@clinic.example")
    wrong = refusal(password=WRONG)
    repos.accounts.put(replace(repos.accounts.get(account.account_id), state=AccountState.DEACTIVATED))
    deactivated = refusal()
    assert unknown == wrong == deactivated
    assert (unknown.status, unknown.slug) == (403, "signin-failed")
    assert sorted(outcome for _, outcome in repos.audit.actions()) == ["deactivated", "unknown_user", "wrong"]
    assert repos.sessions.sessions == {}


def test_five_wrong_passwords_make_that_source_wait_not_the_owner(repos, sent):
    # Given five wrong passwords from one network
    account = active_account(repos)
    for _ in range(5):
        assert refusal(password=WRONG).slug == "signin-failed"
    # Then that network waits, even with the right password, and is told how long
    waits = refusal()
    assert (waits.status, waits.slug) == (429, "rate-limited") and int(waits.headers["Retry-After"]) > 0
    # while the owner, elsewhere, signs in at once, and that success clears the count
    started = logic.sign_in(SignInRequest(login=EMAIL, password=PASSWORD), CARESOURCE, OTHER_NETWORK, None, NOW)
    assert started.view.stage == SessionStage.MFA_SETUP and started.view.next == "/mfa-setup.html"
    stored = repos.accounts.get(account.account_id)
    assert stored.password_failures == 0 and stored.password_locked_until is None
    assert stored.last_active_at == NOW
    # and the first network may try again in the next window
    assert sign_in(now=NOW + timedelta(minutes=15)).view.stage == SessionStage.MFA_SETUP


def test_an_unknown_login_waits_exactly_like_a_real_one(repos, sent):
    active_account(repos)
    for login in (EMAIL, "nobody@clinic.example"):
        for _ in range(5):
            assert refusal(login=login, password=WRONG).slug == "signin-failed"
    real, unknown = refusal(password=WRONG), refusal(login="nobody@clinic.example", password=WRONG)
    assert real == unknown and real.status == 429


def test_spraying_many_logins_from_one_source_is_limited(repos, sent):
    active_account(repos)
    for n in range(CARESOURCE.signin_failures_per_source):
        refusal(login=f"user{n}@clinic.example", password=WRONG)
    assert refusal().status == 429  # even the right password of a real account, from that source


def test_rotating_ipv6_addresses_within_one_subscribers_network_does_not_reset_the_count(repos, sent):
    # Given wrong passwords, each from another address of one /64 (a subscriber's allocation)
    active_account(repos)
    for n in range(5):
        meta = replace(META, source_ip=f"2001:db8:7:1::{n + 1:x}")
        with pytest.raises(Problem):
            logic.sign_in(SignInRequest(login=EMAIL, password=WRONG), CARESOURCE, meta, None, NOW)
    # Then the next address of that network waits too
    rotated = replace(META, source_ip="2001:db8:7:1:ffff::9")
    with pytest.raises(Problem) as waits:
        logic.sign_in(SignInRequest(login=EMAIL, password=PASSWORD), CARESOURCE, rotated, None, NOW)
    assert waits.value.status == 429
    # while the neighbouring network, another subscriber, signs in at once
    neighbour = replace(META, source_ip="2001:db8:7:2::1")
    assert logic.sign_in(SignInRequest(login=EMAIL, password=PASSWORD), CARESOURCE, neighbour, None,
                         NOW).view.stage == SessionStage.MFA_SETUP


def test_a_remembered_device_is_exempt_from_the_waits(repos, sent):
    account = active_account(repos, Factor("f1", FactorKind.EMAIL, "Email", NOW, confirmed=True))
    repos.devices.put(DeviceRecord("dev-hash", "d1", account.account_id, "Chrome on Linux", NOW,
                                   NOW + timedelta(days=30)))
    for _ in range(6):
        refusal(password=WRONG)
    assert refusal().status == 429
    started = logic.sign_in(SignInRequest(login=EMAIL, password=PASSWORD), CARESOURCE, META, "dev-hash", NOW)
    assert started.view.stage == SessionStage.FULL


def test_cmo_asks_for_a_captcha_after_failures_from_many_sources_instead_of_refusing(repos, sent, monkeypatch):
    from functions.shared.services.security import captcha

    monkeypatch.setattr(captcha, "verified_challenge_id", lambda payload: "id-" + payload)
    active_account(repos, username="frontdesk1")
    repos.accounts.claims[USERNAME_KEY + "frontdesk1"] = "acct-1"
    # Given five wrong passwords for one user name, each from another network
    for n in range(5):
        meta = replace(META, source_ip=f"203.0.113.{n}")
        with pytest.raises(Problem):
            logic.sign_in(SignInRequest(login="frontdesk1", password=WRONG), CMO, meta, None, NOW)
    # Then the owner is not refused outright: asked for a solved CAPTCHA, then let in with one
    asked = refusal(login="frontdesk1", plan=CMO)
    assert (asked.status, asked.slug) == (403, "captcha-required") and asked.errors[0].field == "captcha"
    started = sign_in(login="frontdesk1", plan=CMO, captcha="solved-1")
    assert started.view.stage == SessionStage.MFA_SETUP
    # and a solution answers one attempt only
    reused = refusal(login="frontdesk1", plan=CMO, captcha="solved-1")
    assert reused.errors[0].field == "captcha"


def test_a_hundred_wrong_passwords_in_a_row_stop_the_account_until_a_reset(repos, sent):
    account = active_account(repos, password_failures=99)
    # The hundredth failure (from anywhere) stops the password and mails the owner how to reset it
    refusal(password=WRONG, now=NOW)
    assert sent.subjects() == ["Reset your CareSource password to sign in again"]
    with pytest.raises(Problem) as stopped:  # even the right password, from another network
        logic.sign_in(SignInRequest(login=EMAIL, password=PASSWORD), CARESOURCE, OTHER_NETWORK, None, NOW)
    assert stopped.value.slug == "signin-failed"  # the same answer as any failure: nothing to enumerate
    assert repos.audit.actions()[-1] == ("signin.password", "reset_required")
    # A reset (any password change) clears the count
    repos.accounts.set_password(account.account_id, "fake$" + PASSWORD, NOW,
                                audit_event("password.reset", "changed", META, subject=account.account_id, now=NOW))
    assert sign_in(now=NOW + timedelta(minutes=15)).view.stage == SessionStage.MFA_SETUP


def test_an_account_with_a_factor_owes_mfa_unless_the_device_is_remembered(repos, sent):
    account = active_account(repos, Factor("f1", FactorKind.EMAIL, "Email", NOW, confirmed=True))
    owes = sign_in()
    assert (owes.view.stage, owes.view.next) == (SessionStage.MFA, "/mfa.html")
    repos.devices.put(DeviceRecord("dev-hash", "d1", account.account_id, "Chrome on Linux", NOW,
                                   NOW + timedelta(days=30)))
    remembered = logic.sign_in(SignInRequest(login=EMAIL, password=PASSWORD), CARESOURCE, META, "dev-hash", NOW)
    assert (remembered.view.stage, remembered.view.next) == (SessionStage.FULL, "/account.html")
    later = NOW + timedelta(days=30)
    assert logic.sign_in(SignInRequest(login=EMAIL, password=PASSWORD), CARESOURCE, META, "dev-hash",
                         later).view.stage == SessionStage.MFA


def test_not_activated_link_plan_is_told_only_after_the_right_password(repos, sent):
    active_account(repos, state=AccountState.PENDING_ACTIVATION)
    assert refusal(password=WRONG).slug == "signin-failed"
    assert refusal().slug == "account-not-activated"


def _cmo_account(repos):
    account = active_account(repos, plan="cmo", username="frontdesk1", state=AccountState.PENDING_ACTIVATION,
                             activation_expires_at=NOW + timedelta(days=7))
    account = replace(account, activation_secret_hash=hash_secret("123456", scope=account.account_id))
    repos.accounts.put(account)
    repos.accounts.claims[USERNAME_KEY + "frontdesk1"] = account.account_id
    return account


def test_cmo_first_sign_in_needs_the_mailed_code_once(repos, sent):
    account = _cmo_account(repos)
    assert refusal(login=EMAIL, plan=CMO).slug == "signin-failed"  # user name only on this plan
    needs = refusal(login="FrontDesk1", plan=CMO)
    assert (needs.status, needs.slug) == (403, "verification-code-required")
    wrong = refusal(login="frontdesk1", plan=CMO, verification_code="654321")
    assert (wrong.status, wrong.slug) == (403, "verification-code-wrong")
    assert repos.accounts.get(account.account_id).code_failures == 1

    started = sign_in(login="frontdesk1", plan=CMO, verification_code="123456")
    assert started.view.stage == SessionStage.MFA_SETUP
    stored = repos.accounts.get(account.account_id)
    assert stored.state == AccountState.ACTIVE and stored.activated_at == NOW
    assert stored.activation_secret_hash is None and stored.code_failures == 0
    assert sign_in(login="frontdesk1", plan=CMO).view.stage == SessionStage.MFA_SETUP  # no code any more


def test_cmo_wrong_codes_pause_the_first_sign_in(repos, sent):
    _cmo_account(repos)
    for _ in range(5):
        refusal(login="frontdesk1", plan=CMO, verification_code="654321")
    paused = refusal(login="frontdesk1", plan=CMO, verification_code="123456", now=NOW + timedelta(seconds=29))
    assert (paused.status, paused.slug) == (429, "code-paused")
    assert sign_in(login="frontdesk1", plan=CMO, verification_code="123456",
                   now=NOW + timedelta(seconds=30)).view.stage == SessionStage.MFA_SETUP


def test_an_expired_code_is_wrong(repos, sent):
    _cmo_account(repos)
    late = refusal(login="frontdesk1", plan=CMO, verification_code="123456", now=NOW + timedelta(days=7))
    assert late.slug == "verification-code-wrong"
