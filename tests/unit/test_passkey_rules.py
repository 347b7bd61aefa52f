"""Passkey rules on the in-memory store, with a software authenticator: the relying party, single-use and
short-lived challenges bound to their session, origin and RP ID checks, and the clone signal."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from functions.mfa import passkeys
from functions.mfa.models import AssertionCredential, RegistrationCredential
from functions.shared.core.errors import Problem
from functions.shared.core.plans import plan_profile
from functions.shared.core.states import AccountState, FactorKind, SessionStage
from functions.shared.store.accounts import Factor
from tests.passkey_device import SoftPasskey, b64
from tests.unit.identity import EMAIL, META, NOW, PASSWORD, active_account, half_signed_in, install_fakes

PLAN = plan_profile("caresource")
PARTY = passkeys.RelyingParty("portal.example.org", ("https://portal.example.org",))


@pytest.fixture
def sent(monkeypatch):
    captured = install_fakes(monkeypatch)
    monkeypatch.setattr(passkeys, "send_mail", lambda to, mail: captured.mails.append((to, mail)))
    monkeypatch.setattr(passkeys, "_party", lambda: PARTY)
    return captured


@pytest.fixture
def device() -> SoftPasskey:
    return SoftPasskey(origin="https://portal.example.org", rp_id="portal.example.org")


def _refused(call, *args) -> Problem:
    with pytest.raises(Problem) as refused:
        call(*args)
    return refused.value


def _registered(repos, device, now=NOW):
    account = active_account(repos, Factor("f-mail", FactorKind.EMAIL, "Email", NOW, confirmed=True))
    who = half_signed_in(repos, account, SessionStage.FULL, session_hash="full-1")
    options = passkeys.registration_options(PASSWORD, who, PLAN, META, now)
    added = passkeys.add(RegistrationCredential.model_validate(device.create(options.public_key)), "Laptop", who,
                         PLAN, META, now)
    return account, added


def _assert(device, options, **kwargs) -> AssertionCredential:
    return AssertionCredential.model_validate(device.get(options.public_key, **kwargs))


@pytest.mark.parametrize(("portal_url", "rp_id", "origin"), [
    ("https://portal.example.org", "portal.example.org", "https://portal.example.org"),
    ("https://Portal.Example.org:8443/", "portal.example.org", "https://portal.example.org:8443"),
    ("http://127.0.0.1:3000", "localhost", "http://localhost:3000"),  # an IP is never an RP ID
    ("http://[::1]:8080", "localhost", "http://localhost:8080"),
])
def test_the_relying_party_is_the_portals_host(portal_url, rp_id, origin):
    assert passkeys.relying_party(portal_url) == passkeys.RelyingParty(rp_id, (origin,))


@pytest.mark.parametrize(("stored", "presented", "went_back"), [
    (0, 0, False), (0, 1, False), (5, 6, False), (5, 5, True), (5, 4, True), (5, 0, True), (0, 0, False)])
def test_a_counter_that_does_not_grow_is_the_clone_signal(stored, presented, went_back):
    assert passkeys.counter_went_back(stored, presented) is went_back


def test_registration_asks_for_a_discoverable_verified_passkey_and_stores_it(repos, sent, device):
    account = active_account(repos, Factor("f-mail", FactorKind.EMAIL, "Email", NOW, confirmed=True))
    who = half_signed_in(repos, account, SessionStage.FULL, session_hash="full-1")
    options = passkeys.registration_options(PASSWORD, who, PLAN, META, NOW).public_key
    assert options["rp"]["id"] == "portal.example.org"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    [token] = repos.tokens.tokens.values()
    assert options["challenge"] not in token.token_hash and token.subject_ref == "full-1"  # hashed, bound
    passkeys.add(RegistrationCredential.model_validate(device.create(options)), "Laptop", who, PLAN, META, NOW)
    factor = repos.accounts.get(account.account_id).factors[-1]
    assert (factor.kind, factor.label, factor.confirmed) == (FactorKind.PASSKEY, "Laptop", True)
    assert ("mfa.passkey.register", "added") in repos.audit.actions(account.account_id)
    assert sent.subjects() == ["Your CareSource sign-in methods changed"]


def test_adding_needs_the_password_again_after_a_few_minutes(repos, sent, device):
    account = active_account(repos, Factor("f-mail", FactorKind.EMAIL, "Email", NOW, confirmed=True))
    who = half_signed_in(repos, account, SessionStage.FULL)
    later = NOW + timedelta(minutes=6)
    assert _refused(passkeys.registration_options, None, who, PLAN, META, later).slug == "reauthentication-required"
    assert _refused(passkeys.registration_options, "Wrong-Password-99", who, PLAN, META, later).slug \
        == "reauthentication-failed"


def test_a_registration_challenge_works_once_within_minutes_and_only_for_its_session(repos, sent, device):
    account = active_account(repos, Factor("f-mail", FactorKind.EMAIL, "Email", NOW, confirmed=True))
    who = half_signed_in(repos, account, SessionStage.FULL, session_hash="full-1")
    other = half_signed_in(repos, account, SessionStage.FULL, session_hash="full-2")
    options = passkeys.registration_options(PASSWORD, who, PLAN, META, NOW)
    answer = RegistrationCredential.model_validate(device.create(options.public_key))
    assert _refused(passkeys.add, answer, None, other, PLAN, META, NOW).slug == "passkey-registration-failed"
    late = NOW + passkeys.CHALLENGE_TTL
    assert _refused(passkeys.add, answer, None, who, PLAN, META, late).slug == "passkey-registration-failed"
    passkeys.add(answer, None, who, PLAN, META, NOW + timedelta(minutes=1))
    assert _refused(passkeys.add, answer, None, who, PLAN, META, NOW + timedelta(minutes=2)).slug \
        == "passkey-registration-failed"  # spent
    assert len([f for f in repos.accounts.get(account.account_id).factors if f.kind == FactorKind.PASSKEY]) == 1


@pytest.mark.parametrize("wrong", [{"origin": "https://portal.example.org.evil.test"},
                                   {"rp_id": "evil.test"}, {"verified": False}])
def test_registration_from_another_origin_or_rp_or_without_verification_is_refused(repos, sent, device, wrong):
    account = active_account(repos, Factor("f-mail", FactorKind.EMAIL, "Email", NOW, confirmed=True))
    who = half_signed_in(repos, account, SessionStage.FULL)
    options = passkeys.registration_options(PASSWORD, who, PLAN, META, NOW)
    answer = RegistrationCredential.model_validate(device.create(options.public_key, **wrong))
    assert _refused(passkeys.add, answer, None, who, PLAN, META, NOW).slug == "passkey-registration-failed"
    assert ("mfa.passkey.register", "invalid") in repos.audit.actions(account.account_id)
    assert all(f.kind != FactorKind.PASSKEY for f in repos.accounts.get(account.account_id).factors)


def test_the_second_factor_challenge_is_single_use_and_short_lived(repos, sent, device):
    account, _ = _registered(repos, device)
    who = half_signed_in(repos, account, session_hash="mfa-1")
    options = passkeys.challenge(who, NOW)
    assert [c["id"] for c in options.public_key["allowCredentials"]] == [b64(device.credential_id)]
    late = _assert(device, options)
    expired = _refused(passkeys.verify, late, False, who, PLAN, META, NOW + passkeys.CHALLENGE_TTL)
    assert expired.slug == "passkey-failed"
    options = passkeys.challenge(who, NOW)
    answer = _assert(device, options)
    started = passkeys.verify(answer, False, who, PLAN, META, NOW)
    assert started.view.stage == SessionStage.FULL
    again = half_signed_in(repos, account, session_hash="mfa-2")
    assert _refused(passkeys.verify, answer, False, again, PLAN, META, NOW).slug == "passkey-failed"  # replay


@pytest.mark.parametrize(("wrong", "outcome"), [({"origin": "https://evil.test"}, "invalid"),
                                                ({"rp_id": "evil.test"}, "invalid"),
                                                ({"verified": False}, "invalid")])
def test_an_assertion_for_another_origin_or_rp_is_refused(repos, sent, device, wrong, outcome):
    account, _ = _registered(repos, device)
    who = half_signed_in(repos, account, session_hash="mfa-1")
    answer = _assert(device, passkeys.challenge(who, NOW), **wrong)
    assert _refused(passkeys.verify, answer, False, who, PLAN, META, NOW).slug == "passkey-failed"
    assert ("mfa.passkey", outcome) in repos.audit.actions(account.account_id)
    assert "mfa-1" in repos.sessions.sessions  # still only half signed in


def test_a_cloned_authenticator_whose_counter_goes_back_is_refused_and_audited(repos, sent, device):
    account, _ = _registered(repos, device)
    clone = device.clone()
    who = half_signed_in(repos, account, session_hash="mfa-1")
    passkeys.verify(_assert(device, passkeys.challenge(who, NOW), counter=7), False, who, PLAN, META, NOW)
    who = half_signed_in(repos, account, session_hash="mfa-2")
    answer = _assert(clone, passkeys.challenge(who, NOW), counter=3)
    assert _refused(passkeys.verify, answer, False, who, PLAN, META, NOW).slug == "passkey-failed"
    assert ("mfa.passkey", "counter_regression") in repos.audit.actions(account.account_id)
    assert repos.accounts.get(account.account_id).factors[-1].sign_count == 7


def test_passwordless_sign_in_keeps_the_sign_in_rules(repos, sent, device):
    account, _ = _registered(repos, device)
    started = passkeys.sign_in(_assert(device, passkeys.signin_options(PLAN, META, NOW)), PLAN, META, NOW)
    assert started.view.stage == SessionStage.FULL
    assert repos.accounts.get(account.account_id).last_active_at == NOW  # activity, as any sign-in
    assert ("signin.passkey", SessionStage.FULL) in repos.audit.actions(account.account_id)

    repos.accounts.put(replace(repos.accounts.get(account.account_id), state=AccountState.DEACTIVATED))
    deactivated = _refused(passkeys.sign_in, _assert(device, passkeys.signin_options(PLAN, META, NOW)), PLAN, META,
                           NOW)
    stranger = SoftPasskey(origin=device.origin, rp_id=device.rp_id, user_handle=b"acct-1")
    unknown = _refused(passkeys.sign_in, _assert(stranger, passkeys.signin_options(PLAN, META, NOW)), PLAN, META,
                       NOW)
    assert (deactivated.status, deactivated.slug, deactivated.detail) == (unknown.status, unknown.slug,
                                                                          unknown.detail)
    assert ("signin.passkey", "deactivated") in repos.audit.actions(account.account_id)
    assert sent.subjects(EMAIL)[-1] == "Your CareSource Provider Portal account is deactivated"  # by mail only


def test_passwordless_is_refused_where_the_plan_does_not_offer_it(repos, sent, device):
    cmo = plan_profile("cmo")
    assert not cmo.passwordless_passkeys and PLAN.passwordless_passkeys
    assert _refused(passkeys.signin_options, cmo, META, NOW).slug == "passwordless-not-offered"


def test_the_pages_learn_whether_a_passkey_signs_in_alone():
    from infra.site import public_config

    assert public_config(PLAN)["passwordless_passkeys"] is True
    assert public_config(plan_profile("cmo"))["passwordless_passkeys"] is False


@pytest.mark.parametrize("client_data", ["AA", "bm90LWpzb24", "WzFd", "eyJjaGFsbGVuZ2UiOiAxfQ"])  # not JSON, a list, …
def test_client_data_that_names_no_issued_challenge_is_refused_alike(repos, sent, device, client_data):
    _registered(repos, device)
    answer = device.get(passkeys.signin_options(PLAN, META, NOW).public_key)
    answer["response"]["clientDataJSON"] = client_data
    refused = _refused(passkeys.sign_in, AssertionCredential.model_validate(answer), PLAN, META, NOW)
    assert (refused.status, refused.slug) == (403, "passkey-signin-failed")


def test_a_forged_passwordless_assertion_counts_as_a_failed_sign_in_and_mails_no_one(repos, sent, device):
    """The account's user handle and credential id with another key's signature: refused like any failure,
    counted with the source's failed sign-ins, and not told that the account is deactivated."""
    from cryptography.hazmat.primitives.asymmetric import ec

    account, _ = _registered(repos, device)
    repos.accounts.put(replace(repos.accounts.get(account.account_id), state=AccountState.DEACTIVATED))
    forger = replace(device, key=ec.generate_private_key(ec.SECP256R1()))
    failures = lambda: sum(n for key, n in repos.rate_limits.counters.items()  # noqa: E731
                           if key.startswith(passkeys.SOURCE_FAILURES))
    before, mails = failures(), len(sent.mails)
    refused = _refused(passkeys.sign_in, _assert(forger, passkeys.signin_options(PLAN, META, NOW)), PLAN, META, NOW)
    assert refused.slug == "passkey-signin-failed"
    assert failures() == before + 1
    assert len(sent.mails) == mails  # only the passkey's holder may learn the account is deactivated
    assert ("signin.passkey", "invalid") in repos.audit.actions(account.account_id)
