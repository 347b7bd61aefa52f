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
    from functions.activate.handler import lambda_handler as activate
    from tests.integration.helpers import activation_token

    first = call(register, "POST", "/registrations", registration())
    assert call(activate, "POST", "/activations", {"token": activation_token("jane.doe@clinic.example")})[0] == 200
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


def test_signing_up_again_before_activating_mails_a_new_activation_link(aws):
    from functions.activate.handler import lambda_handler as activate
    from tests.integration.helpers import activation_token

    # Given a registration whose activation mail was lost
    first = call(register, "POST", "/registrations", registration())
    lost_link = activation_token("jane.doe@clinic.example")
    # When the person signs up again with the same address
    second = call(register, "POST", "/registrations", registration(first_name="Janet"))
    # Then they get the same answer as any sign-up, and a new activation link, not "sign in"
    assert first[:1] + first[2:] == second[:1] + second[2:]
    assert [m.subject for m in mails_to("jane.doe@clinic.example")] == ["Activate Account"] * 2
    new_link = activation_token("jane.doe@clinic.example")
    assert new_link != lost_link
    assert call(activate, "POST", "/activations", {"token": new_link})[0] == 200
    [account] = list(Account.scan())
    assert account.state == "active" and account.first_name == "Jane"  # the first sign-up's account


def test_ten_sign_ups_for_one_address_send_one_mail_an_hour_then_are_limited(aws, clock):
    from functions.activate.handler import lambda_handler as activate
    from tests.integration.helpers import activation_token

    # Given an active account
    assert call(register, "POST", "/registrations", registration())[0] == 202
    assert call(activate, "POST", "/activations", {"token": activation_token("jane.doe@clinic.example")})[0] == 200
    # When someone signs up with its address again and again, from many networks
    answers = [call(register, "POST", "/registrations", registration(), source_ip=f"203.0.113.{n}")
               for n in range(10)]
    # Then the owner gets one "already registered" mail, and after the address's limit a 429 that
    # looks exactly like the one an unknown address gets
    assert [a[0] for a in answers] == [202] * 4 + [429] * 6
    assert [m.subject for m in mails_to("jane.doe@clinic.example")] == [
        "Activate Account", "You already have a CareSource account"]
    unknown = [call(register, "POST", "/registrations", registration(email="nobody@clinic.example"),
                    source_ip=f"198.51.100.{n}") for n in range(6)]
    assert [a[0] for a in unknown] == [202] * 5 + [429]
    limited, unknown_limited = answers[-1], unknown[-1]
    assert limited[2] == unknown_limited[2] and limited[2]["type"] == "/problems/rate-limited"
    assert 0 < int(limited[1]["Retry-After"]) <= 3600 and sorted(limited[1]) == sorted(unknown_limited[1])
    # And an hour later the owner may be told once more
    clock.advance(hours=1)
    assert call(register, "POST", "/registrations", registration(), source_ip="192.0.2.9")[0] == 202
    assert len(mails_to("jane.doe@clinic.example")) == 3


def test_one_source_is_limited_over_many_addresses(aws):
    answers = [call(register, "POST", "/registrations", registration(email=f"user{n}@clinic.example"))[0]
               for n in range(21)]
    assert answers == [202] * 20 + [429]
    assert call(register, "POST", "/registrations", registration(email="late@clinic.example"),
                source_ip="192.0.2.9")[0] == 202  # other networks are not affected


def test_twenty_concurrent_registrations_create_exactly_one_account(aws, monkeypatch):
    from functions.register.logic import register as register_logic
    from functions.register.models import RegistrationAccepted, RegistrationRequest
    from functions.shared.core.clock import now
    from functions.shared.core.http import RequestMeta
    from functions.shared.core.plans import plan_profile
    from functions.shared.store.accounts import DynamoAccounts

    # Given twenty requests for one email that all reach the store's write at the same moment
    write_all_at_once(monkeypatch, DynamoAccounts, "create", 20)

    # (the per-address limit raised, so that all twenty reach the store)
    plan = plan_profile("caresource").model_copy(update={"registrations_per_address_per_hour": 20})

    def attempt(i: int):
        form = RegistrationRequest(**registration(first_name="Racer" + "abcdefghijklmnopqrst"[i]))
        return register_logic(form, plan, RequestMeta(f"r{i}", f"198.51.100.{i}", "t"),
                              "http://127.0.0.1:3000", now())

    # When each runs as its own logic call, in its own thread
    results = concurrently(attempt, 20)

    # Then every caller gets the same 202 answer, winner and losers alike
    expected = RegistrationAccepted(email="jane.doe@clinic.example", message=(
        "Check your email. We sent a message to this address with the next step to activate your account."))
    assert results == [expected] * 20
    # and exactly one account and one claim exist; of the nineteen losers, one (the hour's only mail
    # about an existing address) re-issued the still pending account's activation link
    [account] = list(Account.scan())
    assert account.first_name.startswith("Racer")
    [claim] = list(UniqueKey.scan())
    assert (claim.key, claim.account_id) == ("email#jane.doe@clinic.example", account.account_id)
    assert {token.account_id for token in Token.scan()} == {account.account_id}
    assert sorted(e.action for e in AuditEvent.scan()) == ["account.activation_resent", "account.register"]
    assert [m.subject for m in outbox()] == ["Activate Account"] * 2


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


def test_cmo_registration_says_every_error_in_one_answer(aws, plan):
    # Given the extended form with a bad address, a weak password typed differently twice, and nothing else
    plan("cmo")
    status, _, body = call(register, "POST", "/registrations", {
        "email": "office@", "password": "short", "confirm_password": "shorter", "first_name": "Jane"})
    # Then one answer names every field to correct, the mismatch among them
    assert status == 422
    errors = {(e["field"], e["message"]) for e in body["errors"]}
    assert {field for field, _ in errors} == {"email", "password", "confirm_password", "last_name", "username",
                                              "display_name", "group_name", "telephone", "fax", "captcha"}
    assert ("confirm_password", "The two passwords do not match.") in errors
    assert ("captcha", "Solve the security code.") in errors and ("password", "Use at least 12 characters.") in errors
    assert list(Account.scan()) == []


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


def test_one_captcha_solution_cannot_probe_many_addresses_or_user_names(aws, plan):
    # Given a registered address and one solved CAPTCHA
    plan("cmo")
    assert call(register, "POST", "/registrations", cmo_form(_solved_captcha()))[0] == 202
    mailed = len(outbox())
    solution = _solved_captcha()
    # When an attacker spends it on a probe that fails (the user name is taken) ...
    taken = call(register, "POST", "/registrations", cmo_form(solution, email="probe1@group.example"))
    assert taken[0] == 422 and taken[2]["errors"][0]["field"] == "username"
    # ... then the same solution answers nothing more: not for a registered address, nor a new one
    for email in ("office@group.example", "probe2@group.example"):
        again = call(register, "POST", "/registrations", cmo_form(solution, email=email, username="probe99"))
        assert again[0] == 422 and again[2]["errors"] == [{
            "field": "captcha", "code": "captcha",
            "message": "This security code was already used. Solve a new one."}]
    # and nobody was mailed, and nothing was stored
    assert len(outbox()) == mailed and len(list(Account.scan())) == 1


def test_a_captcha_is_spent_even_when_the_form_is_refused(aws, plan):
    plan("cmo")
    solution = _solved_captcha()
    weak = call(register, "POST", "/registrations", cmo_form(solution, password="short", confirm_password="short"))
    assert weak[0] == 422 and {e["field"] for e in weak[2]["errors"]} == {"password"}
    retry = call(register, "POST", "/registrations", cmo_form(solution))
    assert retry[0] == 422 and retry[2]["errors"][0]["field"] == "captcha"
    assert list(Account.scan()) == [] and outbox() == []


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


def test_names_with_bidi_or_control_characters_are_a_clear_422(aws, plan):
    from functions.shared.store.models import bind_tables

    bind_tables()  # nothing below reaches the store, which binds the models to the tables otherwise
    status, headers, body = call(register, "POST", "/registrations",
                                 registration(first_name="Jane\u202e", last_name="Doe\u0000"))
    assert status == 422 and headers["Content-Type"] == "application/problem+json"
    assert {(e["field"], e["message"]) for e in body["errors"]} == {
        (name, "Use letters, spaces, apostrophes ('), hyphens (-) and periods (.) only.")
        for name in ("first_name", "last_name")}
    plan("cmo")
    status, _, body = call(register, "POST", "/registrations",
                           cmo_form("unused", group_name="Riverside\u2066 Practice"))
    assert status == 422 and [e["field"] for e in body["errors"]] == ["group_name"]
    assert list(Account.scan()) == [] and outbox() == []
