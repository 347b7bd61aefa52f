"""MFA rules on the in-memory store: wrong codes counted, five tries, TOTP replay refused, push answers."""

import base64
from datetime import timedelta

import pyotp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from functions.mfa import logic, push
from functions.mfa.models import ConfirmRequest, EnrolRequest, PushEnrolRequest, PushResponse, VerifyRequest
from functions.shared.core.errors import Problem
from functions.shared.core.plans import plan_profile
from functions.shared.core.states import FactorKind, PushStatus, SessionStage
from functions.shared.store.accounts import Factor
from tests.unit.identity import EMAIL, META, NOW, active_account, half_signed_in, install_fakes

PLAN = plan_profile("caresource")
SEED = pyotp.random_base32(32)


@pytest.fixture
def sent(monkeypatch):
    return install_fakes(monkeypatch)


def _code(sent) -> str:
    import re

    return re.search(r"\b(\d{6})\b", sent.mails[-1][1].text).group(1)


def _refused(call, *args) -> Problem:
    with pytest.raises(Problem) as refused:
        call(*args)
    return refused.value


def verify(who, factor_id, code=None, now=NOW):
    return logic.verify(VerifyRequest(factor_id=factor_id, code=code), who, PLAN, META, now)


def test_wrong_codes_are_counted_and_a_code_allows_five_tries(repos, sent):
    account = active_account(repos, Factor("f-mail", FactorKind.EMAIL, "Email", NOW, confirmed=True))
    who = half_signed_in(repos, account)
    logic.challenge("f-mail", who, PLAN, NOW)
    code = _code(sent)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for n in range(1, 6):
        problem = _refused(verify, who, "f-mail", wrong)
        assert (problem.status, problem.slug) == (403, "code-wrong")
        assert repos.accounts.get(account.account_id).code_failures == n
    assert repos.audit.actions(account.account_id) == [("mfa.code", "wrong")] * 5
    paused = _refused(verify, who, "f-mail", code)
    assert (paused.status, paused.slug) == (429, "code-paused")
    used_up = _refused(verify, who, "f-mail", code, NOW + timedelta(seconds=30))
    assert (used_up.status, used_up.slug) == (429, "code-tries-used")  # five tries per code

    logic.challenge("f-mail", who, PLAN, NOW + timedelta(seconds=30))
    started = verify(who, "f-mail", _code(sent), NOW + timedelta(seconds=31))
    assert started.view.stage == SessionStage.FULL and started.view.next == "/account.html"
    assert repos.accounts.get(account.account_id).code_failures == 0
    assert who.session_hash not in repos.sessions.sessions  # replaced by the full session


def test_an_expired_code_is_refused(repos, sent):
    account = active_account(repos, Factor("f-mail", FactorKind.EMAIL, "Email", NOW, confirmed=True))
    who = half_signed_in(repos, account)
    logic.challenge("f-mail", who, PLAN, NOW)
    expired = _refused(verify, who, "f-mail", _code(sent), NOW + PLAN.code_ttl)
    assert (expired.status, expired.slug) == (409, "code-expired")


def _totp_account(repos, last_step=None):
    factor = Factor("f-totp", FactorKind.TOTP, "Authenticator app", NOW, confirmed=True,
                    totp_secret_encrypted="kms:acct-1:" + SEED, totp_last_step=last_step)
    return active_account(repos, factor)


def test_a_totp_code_cannot_be_used_twice(repos, sent):
    account = _totp_account(repos)
    code = pyotp.TOTP(SEED).at(NOW)
    first = half_signed_in(repos, account, session_hash="s-first")
    logic.challenge("f-totp", first, PLAN, NOW)
    assert verify(first, "f-totp", code).view.stage == SessionStage.FULL
    step = int(NOW.timestamp()) // 30
    assert repos.accounts.get(account.account_id).factor("f-totp").totp_last_step == step

    replay = half_signed_in(repos, repos.accounts.get(account.account_id), session_hash="s-replay")
    logic.challenge("f-totp", replay, PLAN, NOW)
    refused = _refused(verify, replay, "f-totp", code)
    assert (refused.status, refused.slug) == (403, "code-wrong")
    later = NOW + timedelta(seconds=30)
    assert verify(replay, "f-totp", pyotp.TOTP(SEED).at(later), later).view.stage == SessionStage.FULL


def test_concurrent_use_of_one_totp_step_lets_only_one_session_in(repos, sent, monkeypatch):
    account = _totp_account(repos)
    code = pyotp.TOTP(SEED).at(NOW)
    one, two = (half_signed_in(repos, account, session_hash=h) for h in ("s-1", "s-2"))
    for who in (one, two):
        logic.challenge("f-totp", who, PLAN, NOW)
    assert verify(one, "f-totp", code).view.stage == SessionStage.FULL
    # `two` read the account before `one` spent the step: the write's condition refuses it
    monkeypatch.setattr(repos.accounts, "get", lambda account_id: account)
    stale = _refused(logic.verify, VerifyRequest(factor_id="f-totp", code=code), two, PLAN, META, NOW)
    assert stale.slug == "code-wrong"
    assert set(repos.sessions.sessions) - {"s-1", "s-2"} != set() and "s-2" in repos.sessions.sessions


class Device:
    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode()

    def sign(self, message: str) -> str:
        return base64.b64encode(self.key.sign(message.encode())).decode()


def _push_user(repos, sent):
    """An account with an email factor and a push factor enrolled from a device, signed in by password."""
    account = active_account(repos, Factor("f-mail", FactorKind.EMAIL, "Email", NOW, confirmed=True))
    setup = half_signed_in(repos, account, stage=SessionStage.FULL, session_hash="s-setup")
    started = logic.enrol(EnrolRequest(kind="push"), setup, PLAN, META, NOW)
    device = Device()
    enrolled = push.enrol_device(PushEnrolRequest(enrol_code=started.enrol_code, public_key=device.public_key,
                                                  device_name="Pixel", push_token="tok",
                                                  signature=device.sign(started.enrol_code)), META, NOW)
    assert enrolled.factor_id == started.factor_id
    logic.confirm(started.factor_id, ConfirmRequest(), setup, PLAN, META, NOW)
    factor = repos.accounts.get(account.account_id).factor(started.factor_id)
    assert factor.confirmed and factor.label == "Push to Pixel"
    who = half_signed_in(repos, repos.accounts.get(account.account_id), session_hash="s-push")
    sent_push = logic.challenge(factor.factor_id, who, PLAN, NOW)
    [(_, payload)] = sent.pushes
    return who, factor, device, sent_push.push_number, payload["challenge_ref"]


def _answer(device, ref, number, decision):
    return PushResponse(challenge_ref=ref, number=number, decision=decision,
                        signature=device.sign(f"{ref}|{number}|{decision}"))


def test_push_is_pending_until_the_device_approves(repos, sent):
    who, factor, device, number, ref = _push_user(repos, sent)
    assert verify(who, factor.factor_id) is None  # pending
    push.answer(_answer(device, ref, number, "approve"), META, NOW)
    assert repos.sessions.get(who.session_hash).challenge.push_status == PushStatus.APPROVED
    again = _refused(push.answer, _answer(device, ref, number, "approve"), META, NOW)
    assert again.slug == "push-request-unknown"  # answered once only
    assert verify(who, factor.factor_id).view.stage == SessionStage.FULL
    assert ("mfa.push.answer", "approved") in repos.audit.actions()


def test_a_wrong_number_denies_the_push_and_ends_it(repos, sent):
    # Given a pending push, answered on the device with a number that is not the one on the screen
    who, factor, device, number, ref = _push_user(repos, sent)
    wrong_number = "10" if number != "10" else "11"
    mismatch = _refused(push.answer, _answer(device, ref, wrong_number, "approve"), META, NOW)
    assert (mismatch.status, mismatch.slug) == (409, "push-number-mismatch")
    # Then the challenge is over: the right number no longer approves it, and the sign-in is denied
    late = _refused(push.answer, _answer(device, ref, number, "approve"), META, NOW)
    assert late.slug == "push-request-unknown"
    assert repos.sessions.get(who.session_hash).challenge.push_status == PushStatus.DENIED
    assert _refused(verify, who, factor.factor_id).slug == "push-denied"
    assert ("mfa.push.answer", "wrong_number") in repos.audit.actions()


def test_push_denied_or_forged_refuses_the_sign_in(repos, sent):
    who, factor, device, number, ref = _push_user(repos, sent)
    forged = _refused(push.answer, _answer(Device(), ref, number, "approve"), META, NOW)
    assert (forged.status, forged.slug) == (404, "push-request-unknown")
    push.answer(_answer(device, ref, number, "deny"), META, NOW)
    denied = _refused(verify, who, factor.factor_id)
    assert (denied.status, denied.slug) == (403, "push-denied")
    assert who.session_hash in repos.sessions.sessions and len(repos.sessions.sessions) == 2


def test_an_unanswered_push_times_out(repos, sent):
    who, factor, _, _, _ = _push_user(repos, sent)
    timed_out = _refused(verify, who, factor.factor_id, None, NOW + logic.PUSH_TTL)
    assert timed_out.slug == "push-denied"


def test_a_set_up_session_cannot_add_a_factor_once_one_is_confirmed(repos, sent):
    # Given a session opened at the set-up stage, before the owner confirmed a factor elsewhere
    account = active_account(repos, Factor("f-mail", FactorKind.EMAIL, "Email", NOW, confirmed=True))
    leftover = half_signed_in(repos, account, stage=SessionStage.MFA_SETUP)
    refused = _refused(logic.enrol, EnrolRequest(kind="totp"), leftover, PLAN, META, NOW)
    assert (refused.status, refused.slug) == (403, "mfa-required")
    assert len(repos.accounts.get(account.account_id).factors) == 1


def test_the_first_factor_needs_no_password_and_ends_the_other_sessions(repos, sent):
    account = active_account(repos)
    owner = half_signed_in(repos, account, stage=SessionStage.MFA_SETUP)
    half_signed_in(repos, account, stage=SessionStage.MFA_SETUP, session_hash="left-open")
    started = logic.enrol(EnrolRequest(kind="email"), owner, PLAN, META, NOW)
    confirmed = logic.confirm(started.factor_id, ConfirmRequest(code=_code(sent)), owner, PLAN, META, NOW)
    assert list(repos.sessions.sessions) == [confirmed.session_hash]
    assert ("signout.everywhere", "first_factor") in repos.audit.actions()


def test_a_session_that_owes_mfa_cannot_add_a_factor(repos, sent):
    account = active_account(repos, Factor("f-mail", FactorKind.EMAIL, "Email", NOW, confirmed=True))
    who = half_signed_in(repos, account)
    assert _refused(logic.enrol, EnrolRequest(kind="email"), who, PLAN, META, NOW).slug == "mfa-required"
    assert sent.subjects(EMAIL) == [] and len(repos.accounts.get(account.account_id).factors) == 1
