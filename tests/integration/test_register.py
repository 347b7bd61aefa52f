"""Registration on moto: what the user sees, what is stored, what is mailed."""

from __future__ import annotations

import pytest
from altcha import solve_challenge_v1

from functions.register.handler import lambda_handler as register
from functions.shared.store.models import Account, AuditEvent, Token, UniqueKey
from tests.integration.conftest import call, concurrently, outbox
from tests.integration.helpers import STRONG, mails_to, registration
from tests.integration.races import write_all_at_once


def test_new_registration_stores_a_pending_account_and_mails_the_link(aws):
    status, headers, body = call(register, "POST", "/registrations",
                                 registration(email="  Jane.Doe@Clinic.EXAMPLE "))
    assert status == 202 and headers["Content-Type"] == "application/json"
    assert body["email"] == "jane.doe@clinic.example"

    [account] = list(Account.scan())
    assert account.email == "jane.doe@clinic.example"
    assert account.state == "pending_activation"
    assert account.password_hash.startswith("$argon2id$") and STRONG not in account.password_hash
    assert UniqueKey.get("email#jane.doe@clinic.example").account_id == account.account_id

    [mail] = mails_to("jane.doe@clinic.example")
    assert mail.subject == "Activate Account"
    assert mail.source == "no-reply@portal.example.org"
    assert STRONG not in mail.body

    [token] = list(Token.scan())
    assert token.token_hash == account.activation_secret_hash
    assert token.token_hash not in mail.body  # the mail carries the secret, the table only its hash
    assert [e.action for e in AuditEvent.scan()] == ["account.register"]


def test_duplicate_email_gets_the_same_answer_and_its_owner_is_told(aws):
    first = call(register, "POST", "/registrations", registration())
    second = call(register, "POST", "/registrations",
                  registration(email="JANE.DOE@clinic.example", first_name="Other",
                               password="Other-Pass-1234"))
    assert first[0] == second[0] == 202
    assert first[2] == second[2]
    assert first[1]["Content-Type"] == second[1]["Content-Type"]
    assert len(list(Account.scan())) == 1
    subjects = [m.subject for m in mails_to("jane.doe@clinic.example")]
    assert subjects == ["Activate Account", "You already have a CareSource account"]
    assert "already registered" in mails_to("jane.doe@clinic.example")[1].body


def test_twenty_concurrent_registrations_create_exactly_one_account(aws, monkeypatch):
    from functions.register.logic import register as register_logic
    from functions.register.models import RegistrationAccepted, RegistrationRequest
    from functions.shared.clock import now
    from functions.shared.http import RequestMeta
    from functions.shared.plans import plan_profile
    from functions.shared.store.accounts import DynamoAccounts

    # Given twenty requests for one email that all reach the store's write at the same moment
    write_all_at_once(monkeypatch, DynamoAccounts, "create", 20)

    def attempt(i: int):
        form = RegistrationRequest(**registration(first_name=f"Racer{i}"))
        return register_logic(form, plan_profile("caresource"), RequestMeta(f"r{i}", f"198.51.100.{i}", "t"),
                              "http://127.0.0.1:3000", now())

    # When each runs as its own logic call, in its own thread
    results = concurrently(attempt, 20)

    # Then every caller gets the same 202 answer, winner and losers alike
    expected = RegistrationAccepted(email="jane.doe@clinic.example", message=(
        "Check your email. We sent a message to this address with the next step to activate your account."))
    assert results == [expected] * 20
    # and exactly one account, one claim, one activation mail and one audit record exist
    [account] = list(Account.scan())
    assert account.first_name.startswith("Racer")
    [claim] = list(UniqueKey.scan())
    assert (claim.key, claim.account_id) == ("email#jane.doe@clinic.example", account.account_id)
    [token] = list(Token.scan())
    assert token.account_id == account.account_id
    assert [(e.subject, e.action) for e in AuditEvent.scan()] == [(account.account_id, "account.register")]
    subjects = sorted(m.subject for m in outbox())
    assert subjects.count("Activate Account") == 1
    assert subjects.count("You already have a CareSource account") == 19
    assert len(subjects) == 20


def test_password_policy_errors_name_the_field_and_store_nothing(aws):
    status, headers, body = call(register, "POST", "/registrations",
                                 registration(password="jane.doe1"))
    assert status == 422 and headers["Content-Type"] == "application/problem+json"
    messages = {e["message"] for e in body["errors"] if e["field"] == "password"}
    assert "Use at least 12 characters." in messages
    assert "Add at least one capital letter." in messages
    assert "Do not include your email address or the part before the @." in messages
    assert list(Account.scan()) == [] and outbox() == []


def test_every_missing_or_malformed_field_is_listed(aws):
    status, _, body = call(register, "POST", "/registrations", {"email": "not-an-email", "password": STRONG})
    assert status == 422
    assert {e["field"] for e in body["errors"]} == {"email", "first_name", "last_name"}


def test_unknown_fields_and_bad_json_are_refused(aws):
    status, _, body = call(register, "POST", "/registrations", registration(role="admin"))
    assert status == 422 and body["errors"][0]["field"] == "role"
    status, _, body = call(register, "POST", "/registrations", "{not json")
    assert status == 422


@pytest.mark.parametrize("key", ["caresource", "caresource-passe", "cca"])
def test_standard_plans_ask_email_password_and_names(aws, plan, key):
    plan(key)
    status, _, _ = call(register, "POST", "/registrations", registration(email=f"{key}@clinic.example"))
    assert status == 202
    [account] = list(Account.scan())
    assert account.plan == key and account.username is None
    assert mails_to(f"{key}@clinic.example")[0].subject == "Activate Account"


def test_standard_plans_have_no_captcha(aws):
    status, _, body = call(register, "GET", "/captcha")
    assert status == 404 and body["type"] == "/problems/not-found"


def _solved_captcha() -> str:
    import base64
    import json

    status, _, challenge = call(register, "GET", "/captcha")
    assert status == 200
    solution = solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                  challenge["maxnumber"])
    payload = {"algorithm": challenge["algorithm"], "challenge": challenge["challenge"],
               "number": solution.number, "salt": challenge["salt"], "signature": challenge["signature"]}
    return base64.b64encode(json.dumps(payload).encode()).decode()


def cmo_form(captcha: str, **overrides: object) -> dict:
    return registration(email="office@group.example", username="frontdesk1", display_name="Front Desk",
                        confirm_password=STRONG, group_name="Riverside Family Practice",
                        telephone="(555) 123-4567", fax="555.123.4568", captcha=captcha) | overrides


def test_cmo_registration_needs_every_extended_field(aws, plan):
    plan("cmo")
    status, _, body = call(register, "POST", "/registrations", registration())
    assert status == 422
    assert {e["field"] for e in body["errors"]} == {
        "username", "display_name", "confirm_password", "group_name", "telephone", "fax", "captcha"}


def test_cmo_registration_mails_a_verification_code_and_stores_only_its_hash(aws, plan):
    plan("cmo")
    status, _, _ = call(register, "POST", "/registrations", cmo_form(_solved_captcha()))
    assert status == 202
    [account] = list(Account.scan())
    assert (account.username, account.group_name, account.phone, account.fax) == (
        "frontdesk1", "Riverside Family Practice", "555-123-4567", "555-123-4568")
    [mail] = mails_to("office@group.example")
    assert mail.subject == "Post-N-Track verification code"
    import re

    code = re.search(r"verification code is (\d{6})", mail.body).group(1)
    assert code not in account.activation_secret_hash
    assert account.activation_expires_at > account.created_at
    assert list(Token.scan()) == []  # a code is checked on the account at first sign-in


def test_cmo_captcha_is_checked_and_single_use(aws, plan):
    plan("cmo")
    status, _, body = call(register, "POST", "/registrations", cmo_form("bm90LWEtc29sdXRpb24="))
    assert status == 422 and body["errors"][0]["field"] == "captcha"

    captcha = _solved_captcha()
    assert call(register, "POST", "/registrations", cmo_form(captcha))[0] == 202
    status, _, body = call(register, "POST", "/registrations",
                           cmo_form(captcha, email="other@group.example", username="other1"))
    assert status == 422 and body["errors"][0]["field"] == "captcha"
    assert len(list(Account.scan())) == 1


def test_cmo_password_confirmation_and_taken_user_name(aws, plan):
    plan("cmo")
    status, _, body = call(register, "POST", "/registrations",
                           cmo_form(_solved_captcha(), confirm_password="Different-Pass-99"))
    assert status == 422 and body["errors"][0]["field"] == "confirm_password"

    assert call(register, "POST", "/registrations", cmo_form(_solved_captcha()))[0] == 202
    status, _, body = call(register, "POST", "/registrations",
                           cmo_form(_solved_captcha(), email="second@group.example", username="FrontDesk1"))
    assert status == 422 and body["errors"][0] == {
        "field": "username", "code": "taken", "message": "This user name is taken. Choose another."}
