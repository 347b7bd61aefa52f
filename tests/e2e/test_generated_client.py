"""The public OpenAPI document as a client's developer uses it: openapi-python-client generates a typed
Python client from it without a single warning, and that client alone walks a provider's first visit on
the devserver (sign up, activate, sign in, set up an authenticator app, link to a Provider ID with the
payment proof, accept the agreement, check a member's eligibility), its error answers parsed as the
typed `Problem`.

Only the devserver's captured mail (the activation link) is read around the client, as a user reads
their inbox.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from types import ModuleType
from typing import Any

import pyotp
import pytest

from openapi.generate import DOCUMENT
from tests.e2e.conftest import Portal

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

PACKAGE = "provider_portal_client"
STRONG = "Lantern-Orbit-42"
SESSION_COOKIE = "__Host-session"
GROUP = {"group_name": "Riverside Family Practice", "tax_id": "12-3456789", "provider_number": "G1000001",
         "zip_": "43215"}
# The generator reads only JSON bodies and application/octet-stream as typed; the attachment download's
# file types are bytes to a client, as octet-stream is.
CONFIG = {
    "project_name_override": "provider-portal-client",
    "package_name_override": PACKAGE,
    "post_hooks": [],  # no formatting of the generated code: it is imported, not read
    "content_type_overrides": {kind: "application/octet-stream"
                               for kind in ("application/pdf", "image/png", "image/jpeg", "image/tiff")},
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package generated from the committed public document, importable."""
    folder = tmp_path_factory.mktemp("client")
    config = folder / "config.json"
    config.write_text(json.dumps(CONFIG))
    output = folder / PACKAGE
    done = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(DOCUMENT),
         "--config", str(config), "--meta", "none", "--output-path", str(output)],
        capture_output=True, text=True, timeout=300, check=False)
    said = (done.stdout + done.stderr).strip()
    assert done.returncode == 0, said
    # Every response, model and operation understood: the generator says nothing but what it made.
    assert said == f"Generating {output}", said
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _api(generated: ModuleType, tag: str, operation: str) -> Any:
    return importlib.import_module(f"{generated.__name__}.api.{tag}.{operation}")


def _models(generated: ModuleType) -> Any:
    return importlib.import_module(f"{generated.__name__}.models")


def _client(generated: ModuleType, portal: Portal, cookies: dict[str, str] | None = None,
            csrf: str | None = None) -> Any:
    """The generated client; the session cookie and CSRF token as a browser would send them."""
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return generated.Client(base_url=f"{portal.url}/api", cookies=cookies or {}, headers=headers,
                            raise_on_unexpected_status=True)


def _session_cookie(response: Any) -> dict[str, str]:
    for cookie in response.headers.get_list("set-cookie"):
        name, _, rest = cookie.partition("=")
        if name == SESSION_COOKIE:
            return {name: rest.split(";", 1)[0]}
    raise AssertionError(f"no session cookie in {response.headers}")


def _eventually(check: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (found := check()) and time.monotonic() < deadline:
        time.sleep(0.3)
    return found


def test_the_generated_client_signs_up_links_and_checks_eligibility(generated: ModuleType,
                                                                     own_portal: Portal) -> None:
    m = _models(generated)
    anonymous = _client(generated, own_portal)
    email = f"client-{uuid.uuid4().hex[:10]}@clinic.example"

    # A validation error comes back as the typed problem, naming the field.
    weak = _api(generated, "account", "create_registration").sync_detailed(
        client=anonymous, body=m.RegistrationRequest(email=email, password="short", first_name="Cleo",
                                                     last_name="Client"))
    assert weak.status_code == 422 and isinstance(weak.parsed, m.Problem), weak.content
    assert weak.parsed.type_ == "/problems/validation" and weak.parsed.status == 422
    assert {e.field for e in weak.parsed.errors} == {"password"}
    assert isinstance(weak.parsed.errors[0], m.ProblemFieldError)

    registered = _api(generated, "account", "create_registration").sync_detailed(
        client=anonymous, body=m.RegistrationRequest(email=email, password=STRONG, first_name="Cleo",
                                                     last_name="Client"))
    assert registered.status_code == 202 and isinstance(registered.parsed, m.RegistrationAccepted)
    mail = _eventually(lambda: next((x for x in own_portal.mails_to(email) if x["subject"] == "Activate Account"),
                                    None))
    token = mail["links"][0]["href"].split("#token=", 1)[1]
    activated = _api(generated, "account", "activate_account").sync(
        client=anonymous, body=m.ActivationRequest(token=token))
    assert isinstance(activated, m.ActivationResult), activated

    # A wrong password: the typed problem a form shows.
    sign_in = _api(generated, "sign_in", "sign_in")
    refused = sign_in.sync_detailed(client=anonymous, body=m.SignInRequest(login=email, password=STRONG + "x"))
    assert refused.status_code == 403 and isinstance(refused.parsed, m.Problem)
    assert refused.parsed.type_ == "/problems/signin-failed" and refused.parsed.detail

    signed_in = sign_in.sync_detailed(client=anonymous, body=m.SignInRequest(login=email, password=STRONG))
    assert signed_in.status_code == 200 and isinstance(signed_in.parsed, m.SessionView)
    assert signed_in.parsed.stage == m.SessionStage.MFA_SETUP
    partial = _client(generated, own_portal, _session_cookie(signed_in), signed_in.parsed.csrf_token)

    # Until MFA is done, the portal's data is refused with the typed problem.
    eligibility = _api(generated, "eligibility", "check_eligibility")
    jane = m.EligibilityRequest(acting_for="G1000001", member_id="M100001", birth_date=date(1984, 3, 12),
                                service_date=date.today())
    early = eligibility.sync_detailed(client=partial, body=jane)
    assert early.status_code == 403 and early.parsed.type_ == "/problems/forbidden/mfa-required"

    started = _api(generated, "mfa", "create_mfa_factor").sync(
        client=partial, body=m.EnrolRequest(kind=m.FactorKind.TOTP))
    assert isinstance(started, m.EnrolmentStarted) and started.secret
    confirm = _api(generated, "mfa", "confirm_mfa_factor")
    wrong_code = confirm.sync_detailed(client=partial, factor_id=started.factor_id,
                                       body=m.ConfirmRequest(code="000000" if pyotp.TOTP(started.secret).now()
                                                             != "000000" else "111111"))
    assert wrong_code.status_code == 403 and wrong_code.parsed.type_ == "/problems/code-wrong"
    confirmed = confirm.sync_detailed(client=partial, factor_id=started.factor_id,
                                      body=m.ConfirmRequest(code=pyotp.TOTP(started.secret).now()))
    assert confirmed.status_code == 200 and confirmed.parsed.stage == m.SessionStage.FULL
    full = _client(generated, own_portal, _session_cookie(confirmed), confirmed.parsed.csrf_token)

    # The first administrator of the group proves the demo payment to its Tax ID (README).
    proof = m.PaymentProof(number="EFT-7731042", amount="130.00")
    link = _api(generated, "provider_access", "create_link").sync(
        client=full, body=m.LinkRequest(provider_type=m.LinkType.GROUP, **GROUP, payment=proof))
    assert isinstance(link, m.LinkView) and link.role == m.LinkRole.ADMIN

    def link_status() -> Any:
        links = _api(generated, "provider_access", "list_links").sync(client=full)
        return next((x.status for x in links.links if x.provider_id == "G1000001"), None)

    assert _eventually(lambda: link_status() == m.LinkStatus.PENDING_AGREEMENT), link_status()
    agreement = _api(generated, "agreements", "get_provider_agreement").sync(client=full)
    assert isinstance(agreement, m.ProviderAgreement) and not agreement.accepted
    accepted = _api(generated, "agreements", "accept_provider_agreement").sync_detailed(
        client=full, body=m.AcceptAgreement(version=agreement.version))
    assert accepted.status_code in (200, 201), accepted.content
    assert _eventually(lambda: link_status() == m.LinkStatus.ACTIVE), link_status()

    result = eligibility.sync(client=full, body=jane)
    assert isinstance(result, m.EligibilityResult), result
    assert result.status == m.EligibilityResultStatus.COVERED and result.member.member_id == "M100001"

    # Without the session: 401, typed.
    gone = eligibility.sync_detailed(client=anonymous, body=jane)
    assert gone.status_code == 401 and gone.parsed.type_ == "/problems/unauthenticated"
