"""Activation on moto: single-use, expiring links; enumeration-safe, rate-limited resend."""

from __future__ import annotations

import pytest

from functions.activate.handler import lambda_handler as activate
from functions.register.handler import lambda_handler as register
from functions.shared.core.clock import now
from functions.shared.store.models import Account, AuditEvent, Token
from tests.integration.conftest import call, concurrently
from tests.integration.helpers import activation_token, mails_to, registration
from tests.integration.races import write_all_at_once

EMAIL = "jane.doe@clinic.example"


@pytest.fixture
def registered(aws) -> str:
    assert call(register, "POST", "/registrations", registration(email=EMAIL))[0] == 202
    return activation_token(EMAIL)


def test_register_mail_activate(registered):
    status, _, body = call(activate, "POST", "/activations", {"token": registered})
    assert status == 200
    assert body["state"] == "active" and body["next"] == "/signin.html"
    [account] = list(Account.scan())
    assert account.state == "active" and account.activated_at is not None
    assert account.activation_secret_hash is None
    [token] = list(Token.scan())
    assert token.used_at is not None
    actions = sorted((e.action, e.outcome) for e in AuditEvent.scan())
    assert actions == [("account.activate", "activated"), ("account.register", "created")]


def test_a_reused_link_is_refused_with_a_way_forward(registered):
    assert call(activate, "POST", "/activations", {"token": registered})[0] == 200
    status, headers, body = call(activate, "POST", "/activations", {"token": registered})
    assert status == 409 and headers["Content-Type"] == "application/problem+json"
    assert body["type"] == "/problems/activation-link-used"
    assert body["resend"] == "/resend.html"


def test_an_expired_link_is_refused_and_the_account_stays_pending(registered, clock):
    clock.advance(days=7, seconds=1)
    status, _, body = call(activate, "POST", "/activations", {"token": registered})
    assert status == 410 and body["type"] == "/problems/activation-link-expired"
    assert "new activation email" in body["detail"]
    assert next(Account.scan()).state == "pending_activation"


def test_a_link_just_before_expiry_still_works(registered, clock):
    clock.advance(days=6, hours=23)
    assert call(activate, "POST", "/activations", {"token": registered})[0] == 200


def test_an_unknown_link_is_refused_and_audited(aws):
    status, _, body = call(activate, "POST", "/activations", {"token": "A" * 43})
    assert status == 404 and body["type"] == "/problems/activation-link-unknown"
    assert [(e.action, e.outcome) for e in AuditEvent.scan()] == [("account.activate", "unknown_link")]


def test_a_malformed_token_is_a_validation_error(aws):
    status, _, body = call(activate, "POST", "/activations", {"token": "<script>"})
    assert status == 422 and body["errors"][0]["field"] == "token"


def test_a_resend_replaces_the_old_link(registered):
    status, _, _ = call(activate, "POST", "/activations/resend", {"email": EMAIL})
    assert status == 202
    newest = activation_token(EMAIL)
    assert newest != registered
    status, _, body = call(activate, "POST", "/activations", {"token": registered})
    assert status == 409 and body["type"] == "/problems/activation-link-replaced"
    assert call(activate, "POST", "/activations", {"token": newest})[0] == 200


def test_simultaneous_activations_succeed_once(registered, monkeypatch):
    from functions.activate.logic import activate as activate_logic
    from functions.activate.models import ActivationRequest, ActivationResult
    from functions.shared.core.errors import Problem
    from functions.shared.core.http import RequestMeta
    from functions.shared.store.accounts import DynamoAccounts

    # Given eight requests with one link that all read it unused and then write at the same moment
    write_all_at_once(monkeypatch, DynamoAccounts, "activate", 8)

    # When each runs as its own logic call, in its own thread
    results = concurrently(lambda i: activate_logic(ActivationRequest(token=registered),
                                                    RequestMeta(f"r{i}", "198.51.100.1", "t"), now()), 8)

    # Then exactly one activates the account
    winners = [r for r in results if isinstance(r, ActivationResult)]
    assert len(winners) == 1 and winners[0].state == "active" and winners[0].next == "/signin.html"
    # and the seven others are told the link was already used, with the way forward
    losers = [r for r in results if isinstance(r, Problem)]
    assert [(p.status, p.slug, p.extra) for p in losers] == [
        (409, "activation-link-used", {"resend": "/resend.html"})] * 7
    # and the store holds one active account, one spent token and one activation record
    [account] = list(Account.scan())
    assert account.state == "active" and account.activation_secret_hash is None
    [token] = list(Token.scan())
    assert token.used_at is not None
    outcomes = sorted(e.outcome for e in AuditEvent.scan() if e.action == "account.activate")
    assert outcomes == ["activated"] + ["reused_link"] * 7


def test_resend_answers_the_same_for_unknown_pending_and_active_accounts(registered):
    unknown = call(activate, "POST", "/activations/resend", {"email": "nobody@clinic.example"})
    pending = call(activate, "POST", "/activations/resend", {"email": EMAIL})
    call(activate, "POST", "/activations", {"token": activation_token(EMAIL)})
    active = call(activate, "POST", "/activations/resend", {"email": EMAIL})
    assert unknown[0] == pending[0] == active[0] == 202
    assert unknown[2] == pending[2] == active[2]
    assert mails_to("nobody@clinic.example") == []
    assert [m.subject for m in mails_to(EMAIL)] == [
        "Activate Account", "Activate Account", "Your CareSource account is already active"]


def test_resend_is_rate_limited_per_address_known_or_not(registered):
    for email in (EMAIL, "nobody@clinic.example"):
        for _ in range(3):
            assert call(activate, "POST", "/activations/resend", {"email": email})[0] == 202
        status, headers, body = call(activate, "POST", "/activations/resend", {"email": email.upper()})
        assert status == 429 and body["type"] == "/problems/rate-limited"
        assert 0 < int(headers["Retry-After"]) <= 3600
    assert len(mails_to(EMAIL)) == 4  # registration + three resends, none after the limit


def test_cmo_resend_mails_a_new_code(aws, plan):
    plan("cmo")
    from functions.shared.store.models import Account as Model
    from tests.integration.test_register import _solved_captcha, cmo_form

    assert call(register, "POST", "/registrations", cmo_form(_solved_captcha()))[0] == 202
    before = next(Model.scan()).activation_secret_hash
    assert call(activate, "POST", "/activations/resend", {"email": "office@group.example"})[0] == 202
    after = next(Model.scan()).activation_secret_hash
    assert before != after
    assert [m.subject for m in mails_to("office@group.example")] == ["Post-N-Track verification code"] * 2
