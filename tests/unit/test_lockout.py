"""One lockout for every kind of failure: pauses grow, are capped, counted per kind; a wrong password at
re-authentication counts like one at sign-in."""

from datetime import timedelta

import pytest

from functions.mfa import logic as mfa
from functions.shared.core.errors import Problem
from functions.shared.core.states import FactorKind, FailureKind
from functions.shared.services.security import lockout
from functions.shared.store.accounts import Factor
from tests.unit.identity import META, NOW, PASSWORD, WRONG, active_account, half_signed_in, install_fakes


@pytest.fixture
def sent(monkeypatch):
    return install_fakes(monkeypatch)


def test_pauses_start_at_the_fifth_failure_and_double():
    assert [lockout.delay_after(n) for n in range(5)] == [timedelta(0)] * 5
    assert [lockout.delay_after(n) for n in (5, 6, 7, 8)] == [
        timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]


def test_pauses_are_capped_at_fifteen_minutes_however_many_failures():
    assert lockout.delay_after(10) == timedelta(minutes=15)
    assert lockout.delay_after(10_000) == timedelta(minutes=15)


def test_counting_a_failure_pauses_only_its_own_kind(repos):
    account = active_account(repos, password_failures=4)
    assert lockout.count_failure(account, FailureKind.PASSWORD, META, NOW, action="signin.password") == 5
    stored = repos.accounts.get(account.account_id)
    assert stored.password_failures == 5 and stored.password_locked_until == NOW + timedelta(seconds=30)
    assert stored.code_failures == 0 and stored.code_locked_until is None
    assert lockout.is_paused(stored, FailureKind.PASSWORD, NOW + timedelta(seconds=29))
    assert not lockout.is_paused(stored, FailureKind.PASSWORD, NOW + timedelta(seconds=30))
    assert not lockout.is_paused(stored, FailureKind.CODE, NOW)

    lockout.count_failure(stored, FailureKind.CODE, META, NOW, action="mfa.code")
    stored = repos.accounts.get(account.account_id)
    assert (stored.password_failures, stored.code_failures) == (5, 1)
    assert stored.code_locked_until is None  # the first code failure is free
    assert repos.audit.actions(account.account_id) == [("signin.password", "wrong"), ("mfa.code", "wrong")]
    assert repos.audit.entries[0].detail == {"failures": 5, "kind": "password"}


def _two_factors():
    return (Factor("f-email", FactorKind.EMAIL, "Email", NOW, confirmed=True),
            Factor("f-sms", FactorKind.SMS, "Text", NOW, confirmed=True, phone="+14155552671"))


def test_a_wrong_password_when_removing_a_factor_counts_as_a_password_failure(repos, sent):
    account = active_account(repos, *_two_factors())
    who = half_signed_in(repos, account, stage="full")
    plan = _plan()
    for n in range(1, 6):
        with pytest.raises(Problem) as wrong:
            mfa.remove_factor("f-sms", WRONG, who, plan, META, NOW)
        assert wrong.value.slug == "reauthentication-failed"
        assert repos.accounts.get(account.account_id).password_failures == n
    assert repos.accounts.get(account.account_id).password_locked_until == NOW + timedelta(seconds=30)
    assert repos.audit.actions(account.account_id) == [("mfa.remove", "wrong_password")] * 5

    # paused like a sign-in: even the right password waits, and nothing is removed
    with pytest.raises(Problem) as paused:
        mfa.remove_factor("f-sms", PASSWORD, who, plan, META, NOW + timedelta(seconds=29))
    assert paused.value.slug == "reauthentication-failed"
    assert len(repos.accounts.get(account.account_id).factors) == 2
    assert repos.audit.actions(account.account_id)[-1] == ("mfa.remove", "paused")

    mfa.remove_factor("f-sms", PASSWORD, who, plan, META, NOW + timedelta(seconds=30))
    stored = repos.accounts.get(account.account_id)
    assert [f.factor_id for f in stored.factors] == ["f-email"]
    assert stored.password_failures == 0 and stored.password_locked_until is None
    assert sent.subjects() == ["Your CareSource sign-in methods changed"]


def _plan():
    from functions.shared.core.plans import plan_profile

    return plan_profile("caresource")
