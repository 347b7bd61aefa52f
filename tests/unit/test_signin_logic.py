"""Sign-in rules on the in-memory store: one answer for every failure, pauses, first sign-in with a code."""

from dataclasses import replace
from datetime import timedelta

import pytest

from functions.shared.errors import Problem
from functions.shared.plans import plan_profile
from functions.shared.security.secrets import hash_secret
from functions.shared.states import AccountState, FactorKind, SessionStage
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


def test_five_wrong_passwords_pause_even_the_right_one_then_a_success_clears_the_count(repos, sent):
    account = active_account(repos)
    for _ in range(5):
        assert refusal(password=WRONG).slug == "signin-failed"
    assert refusal(now=NOW + timedelta(seconds=29)).slug == "signin-failed"
    assert repos.audit.actions()[-1] == ("signin.password", "paused")
    started = sign_in(now=NOW + timedelta(seconds=30))
    assert started.view.stage == SessionStage.MFA_SETUP and started.view.next == "/mfa-setup.html"
    stored = repos.accounts.get(account.account_id)
    assert stored.password_failures == 0 and stored.password_locked_until is None
    assert stored.last_active_at == NOW + timedelta(seconds=30)
    [session] = repos.sessions.sessions.values()
    assert session.account_id == account.account_id and session.stage == SessionStage.MFA_SETUP


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
