"""Passkeys through the local API Gateway adapter on DynamoDB Local and moto, with a software authenticator:
added from a full session, a second factor after the password, passwordless where the plan allows it."""

from __future__ import annotations

import pytest

from functions.shared.store.models import Account, AuditEvent
from tests.integration.browser import Browser
from tests.integration.helpers import STRONG, mails_to, sign_in, signed_in_user
from tests.passkey_device import SoftPasskey

EMAIL = "pat.key@clinic.example"
CHANGED = "Your CareSource sign-in methods changed"


def add_passkey(browser: Browser, device: SoftPasskey, name: str = "Work laptop") -> str:
    options = browser.post("/mfa/passkeys/registration-options", {"password": STRONG})
    assert options.status == 200, options.body
    added = browser.post("/mfa/passkeys", {"credential": device.create(options.body["public_key"]), "name": name})
    assert added.status == 200, added.body
    return added.body["factor_id"]


def second_factor(browser: Browser, device: SoftPasskey, **kwargs):
    options = browser.post("/mfa/passkeys/challenge")
    assert options.status == 200, options.body
    return browser.post("/mfa/passkeys/verify", {"credential": device.get(options.body["public_key"], **kwargs)})


def passwordless(browser: Browser, device: SoftPasskey, **kwargs):
    options = browser.post("/passkeys/signin-options")
    assert options.status == 200, options.body
    return browser.post("/passkeys/signin", {"credential": device.get(options.body["public_key"], **kwargs)})


def audited(action: str) -> list[str]:
    return [e.outcome for e in AuditEvent.scan() if e.action == action]


@pytest.fixture
def device() -> SoftPasskey:
    return SoftPasskey()  # the local portal's relying party: localhost (an IP is never an RP ID)


@pytest.fixture
def owner(gateway, device) -> Browser:
    browser = signed_in_user(gateway, EMAIL)
    add_passkey(browser, device)
    return browser


def test_a_passkey_is_added_listed_and_is_a_second_factor_after_the_password(owner, gateway, device):
    [passkey] = [f for f in owner.get("/mfa/factors").body["factors"] if f["kind"] == "passkey"]
    assert passkey["label"] == "Work laptop" and passkey["confirmed"]
    stored = next(f for f in next(Account.scan()).factors if f.kind == "passkey")
    assert stored.credential_id and stored.credential_public_key and stored.sign_count == 0
    assert "added" in audited("mfa.passkey.register")
    mail = mails_to(EMAIL)[-1]
    assert mail.subject == CHANGED and "Work laptop" in mail.body and stored.credential_id not in mail.body

    later = Browser(gateway)
    assert sign_in(later, EMAIL).body["stage"] == "mfa"
    assert later.get("/mfa/devices").status == 403  # nothing of the portal before the second factor
    done = second_factor(later, device)
    assert done.status == 200 and done.body["stage"] == "full"
    assert later.get("/mfa/devices").status == 200


def test_adding_needs_the_password_and_a_full_session(gateway, device):
    browser = signed_in_user(gateway, EMAIL)
    wrong = browser.post("/mfa/passkeys/registration-options", {"password": "Not-The-Password-1"})
    assert wrong.status == 403 and wrong.body["type"] == "/problems/reauthentication-failed"
    half = Browser(gateway)
    assert sign_in(half, EMAIL).body["stage"] == "mfa"
    assert half.post("/mfa/passkeys/registration-options", {"password": STRONG}).status == 403


def test_passwordless_sign_in_where_the_plan_allows_it(owner, gateway, device):
    browser = Browser(gateway)
    signed = passwordless(browser, device)
    assert signed.status == 200 and signed.body["stage"] == "full" and signed.body["next"] == "/account.html"
    assert browser.get("/mfa/devices").status == 200
    assert "full" in audited("signin.passkey")
    assert next(Account.scan()).last_active_at is not None


def test_passwordless_is_refused_where_the_plan_does_not_allow_it(owner, gateway, device, plan):
    plan("cmo")
    refused = Browser(gateway).post("/passkeys/signin-options")
    assert refused.status == 403 and refused.body["type"] == "/problems/passwordless-not-offered"
    assert refused.header("Content-Type") == "application/problem+json"


@pytest.mark.parametrize("wrong", [{"origin": "http://127.0.0.1:3000"}, {"origin": "https://evil.example"},
                                   {"rp_id": "evil.example"}])
def test_an_assertion_from_another_origin_or_for_another_rp_is_refused(owner, gateway, device, wrong):
    refused = passwordless(Browser(gateway), device, **wrong)
    assert refused.status == 403 and refused.body["type"] == "/problems/passkey-signin-failed"
    half = Browser(gateway)
    sign_in(half, EMAIL)
    refused = second_factor(half, device, **wrong)
    assert refused.status == 403 and refused.body["type"] == "/problems/passkey-failed"
    assert half.get("/mfa/devices").status == 403


def test_a_replayed_assertion_is_refused(owner, gateway, device):
    browser = Browser(gateway)
    options = browser.post("/passkeys/signin-options").body["public_key"]
    answer = device.get(options)
    assert browser.post("/passkeys/signin", {"credential": answer}).status == 200
    replay = Browser(gateway).post("/passkeys/signin", {"credential": answer})
    assert replay.status == 403 and replay.body["type"] == "/problems/passkey-signin-failed"
    assert "no_challenge" in audited("signin.passkey")


def test_a_cloned_authenticator_is_refused_and_audited(owner, gateway, device):
    clone = device.clone()
    assert passwordless(Browser(gateway), device, counter=5).status == 200
    refused = passwordless(Browser(gateway), clone, counter=2)
    assert refused.status == 403 and refused.body["type"] == "/problems/passkey-signin-failed"
    assert "counter_regression" in audited("signin.passkey")


def test_a_deactivated_account_or_an_unknown_passkey_get_the_same_answer(owner, gateway, device):
    stranger = SoftPasskey(user_handle=b"no-such-account")
    unknown = passwordless(Browser(gateway), stranger)
    account = next(Account.scan())
    account.update(actions=[Account.state.set("deactivated")])
    deactivated = passwordless(Browser(gateway), device)
    assert (unknown.status, unknown.body) == (deactivated.status, deactivated.body)
    assert mails_to(EMAIL)[-1].subject == "Your CareSource Provider Portal account is deactivated"


def test_a_passkey_is_renamed_and_removed_with_the_password(owner, gateway, device):
    [passkey] = [f for f in owner.get("/mfa/factors").body["factors"] if f["kind"] == "passkey"]
    path = f"/mfa/passkeys/{passkey['factor_id']}"
    assert owner.request("PATCH", path, {"name": "Phone"}).status == 200
    assert [f["label"] for f in owner.get("/mfa/factors").body["factors"] if f["kind"] == "passkey"] == ["Phone"]
    assert "renamed" in audited("mfa.passkey.rename") and "“Phone”" in mails_to(EMAIL)[-1].body

    delete = f"/mfa/factors/{passkey['factor_id']}"
    wrong = owner.delete(delete, {"password": "Not-The-Password-1"})
    assert wrong.status == 403 and wrong.body["type"] == "/problems/reauthentication-failed"
    assert owner.delete(delete, {"password": STRONG}).status == 200
    assert "removed" in audited("mfa.remove") and mails_to(EMAIL)[-1].subject == CHANGED
    refused = passwordless(Browser(gateway), device)
    assert refused.status == 403 and refused.body["type"] == "/problems/passkey-signin-failed"


def test_the_last_sign_in_method_is_kept(gateway, device):
    browser = signed_in_user(gateway, EMAIL)
    add_passkey(browser, device)
    factors = browser.get("/mfa/factors").body["factors"]
    email_factor = next(f for f in factors if f["kind"] == "email")
    passkey = next(f for f in factors if f["kind"] == "passkey")
    assert browser.delete(f"/mfa/factors/{email_factor['factor_id']}", {"password": STRONG}).status == 200
    last = browser.delete(f"/mfa/factors/{passkey['factor_id']}", {"password": STRONG})
    assert last.status == 409 and last.body["type"] == "/problems/last-factor"
