"""Activation rules on the in-memory store: a link works once, expires, and only the newest one counts."""

from datetime import timedelta

import pytest

from functions.activate import logic
from functions.activate.models import ActivationRequest, ResendRequest
from functions.register import logic as register
from functions.register.models import RegistrationRequest
from functions.shared.core.errors import Problem
from functions.shared.core.plans import plan_profile
from functions.shared.core.states import AccountState
from tests.unit.identity import EMAIL, META, NOW, PASSWORD, install_fakes

PLAN = plan_profile("caresource")
PORTAL = "http://127.0.0.1:3000"


@pytest.fixture
def sent(monkeypatch):
    return install_fakes(monkeypatch)


@pytest.fixture
def registered(repos, sent) -> str:
    """A pending account; returns the token of its activation link."""
    register.register(RegistrationRequest(email=EMAIL, password=PASSWORD, first_name="Jane", last_name="Doe"),
                      PLAN, META, PORTAL, NOW)
    return _newest_token(sent)


def _newest_token(sent) -> str:
    import re

    mail = [m for _, m in sent.mails if m.subject == "Activate Account"][-1]
    return re.search(r"activate\.html#token=([A-Za-z0-9_-]+)", mail.text).group(1)


def activate(token, now=NOW):
    return logic.activate(ActivationRequest(token=token), META, now)


def refusal(token, now=NOW) -> Problem:
    with pytest.raises(Problem) as refused:
        activate(token, now)
    return refused.value


def test_a_link_activates_once(repos, registered):
    result = activate(registered)
    assert result.state == AccountState.ACTIVE and result.next == "/signin.html"
    [account] = repos.accounts.accounts.values()
    assert account.state == AccountState.ACTIVE and account.activated_at == NOW
    assert account.activation_secret_hash is None
    [token] = repos.tokens.tokens.values()
    assert token.used_at == NOW
    used = refusal(registered, NOW + timedelta(minutes=1))
    assert (used.status, used.slug, used.extra) == (409, "activation-link-used", {"resend": "/resend.html"})
    assert repos.audit.actions() == [("account.register", "created"), ("account.activate", "activated"),
                                     ("account.activate", "reused_link")]


def test_an_expired_link_is_refused_and_the_account_stays_pending(repos, registered):
    expired = refusal(registered, NOW + PLAN.activation_ttl)
    assert (expired.status, expired.slug) == (410, "activation-link-expired")
    [account] = repos.accounts.accounts.values()
    assert account.state == AccountState.PENDING_ACTIVATION
    assert activate(registered, NOW + PLAN.activation_ttl - timedelta(seconds=1)).state == AccountState.ACTIVE


def test_an_unknown_link_is_refused(repos, registered):
    unknown = refusal("A" * 43)
    assert (unknown.status, unknown.slug) == (404, "activation-link-unknown")


def test_a_resent_link_replaces_the_old_one(repos, registered, sent):
    logic.resend(ResendRequest(email=EMAIL), PLAN, META, PORTAL, NOW)
    newest = _newest_token(sent)
    assert newest != registered
    replaced = refusal(registered)
    assert (replaced.status, replaced.slug) == (409, "activation-link-replaced")
    assert activate(newest).state == AccountState.ACTIVE
    assert sent.subjects() == ["Activate Account", "Activate Account"]


def test_resend_answers_alike_and_mails_only_existing_accounts(repos, registered, sent):
    unknown = logic.resend(ResendRequest(email="nobody@clinic.example"), PLAN, META, PORTAL, NOW)
    pending = logic.resend(ResendRequest(email=EMAIL), PLAN, META, PORTAL, NOW)
    activate(_newest_token(sent))
    active = logic.resend(ResendRequest(email=EMAIL), PLAN, META, PORTAL, NOW)
    assert unknown == pending == active
    assert sent.subjects("nobody@clinic.example") == []
    assert sent.subjects() == ["Activate Account", "Activate Account", "Your CareSource account is already active"]
    logic.resend(ResendRequest(email=EMAIL), PLAN, META, PORTAL, NOW)
    with pytest.raises(Problem) as limited:
        logic.resend(ResendRequest(email=EMAIL), PLAN, META, PORTAL, NOW)
    assert limited.value.status == 429  # three per hour per address
