"""What people may type where others read it: names, group and device names, and how mails to someone
else quote it; and passwords built from the portal's own words."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from functions.access_workflow.mails import access_requested
from functions.mfa.models import PushEnrolRequest
from functions.register.models import RegistrationRequest
from functions.shared.core.plans import PLANS
from functions.shared.services.notify.templates import quoted
from functions.shared.services.security.passwords import built_from, context_words, policy_errors

FORM = {"email": "jane@clinic.example", "password": "Lantern-Orbit-42", "first_name": "Jane", "last_name": "Doe"}
DEVICE = {"enrol_code": "c" * 20, "public_key": "k" * 44, "push_token": "t", "signature": "s"}


@pytest.mark.parametrize("name", ["Jane", "Mary-Jane", "O'Neil", "O\u2019Neil", "J. R.", "Zoë", "José",
                                  "Nguyễn", "Søren", "李", "Мария", "Anne Marie"])
def test_person_names_of_any_script_are_accepted(name: str) -> None:
    assert RegistrationRequest(**FORM | {"first_name": name}).first_name == name


@pytest.mark.parametrize("name", ["Jane\u202eeoD", "Ja\u0000ne", "Jane\nDoe", "Jane\u200b", "R2D2",
                                  "http://evil.example", "Jane <b>", "Jane@clinic", "...", "'"])
def test_names_with_control_bidi_digits_or_link_characters_are_refused(name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        RegistrationRequest(**FORM | {"last_name": name})
    [error] = refused.value.errors()
    assert error["loc"] == ("last_name",)
    assert "letters, spaces, apostrophes" in error["msg"]


@pytest.mark.parametrize("text", ["Riverside\u0000Practice", "Riverside \u202eecitcarP", "Pixel\u2066 7", "a\u0007"])
def test_group_and_device_names_refuse_control_and_bidi_characters(text: str) -> None:
    with pytest.raises(ValidationError) as group:
        RegistrationRequest(**FORM | {"group_name": text})
    assert group.value.errors()[0]["loc"] == ("group_name",)
    with pytest.raises(ValidationError) as device:
        PushEnrolRequest(**DEVICE | {"device_name": text})
    assert device.value.errors()[0]["loc"] == ("device_name",)
    assert "control or invisible" in device.value.errors()[0]["msg"]


def test_group_and_device_names_keep_ordinary_punctuation() -> None:
    assert RegistrationRequest(**FORM | {"group_name": "Smith & Sons, P.C. (Unit #2)"}).group_name
    assert PushEnrolRequest(**DEVICE | {"device_name": "Jane's Pixel 8"}).device_name == "Jane's Pixel 8"


def test_the_requesters_name_in_the_administrators_mail_is_quoted_and_never_a_link() -> None:
    mail = access_requested(PLANS["caresource"], "Jane Visit evil.example now", "Riverside Family Practice",
                            "G1000001", "https://portal.example.org", 5)
    assert "\u201cJane Visit evil[.]example now\u201d asked for access" in mail.text
    assert "evil.example" not in mail.text and "evil.example" not in mail.html
    assert quoted("see https://x.example/a?b and a@b.example") == \
        "\u201csee https[:]//x[.]example/a?b and a[@]b[.]example\u201d"
    assert quoted("Jane\u202e\nDoe\u0000") == "\u201cJane Doe\u201d"
    assert quoted("J. R. O'Neil") == "\u201cJ. R. O'Neil\u201d"  # ordinary names are left as typed


@pytest.mark.parametrize("password", ["CareSource2026!", "caresource#2026", "Portal-Password-1",
                                      "Provider!Portal99", "JaneDoe1990!!", "!!Doe-Jane-2026"])
def test_passwords_built_from_context_words_are_refused(password: str) -> None:
    plan = PLANS["caresource"]
    errors = policy_errors(password, plan.password_policy, email="jane@clinic.example",
                           context=context_words(plan, "Jane", "Doe"))
    assert any("Do not build your password from the portal's name" in e.message for e in errors)


def test_context_words_follow_the_plan_and_leave_other_passwords_alone() -> None:
    cmo = context_words(PLANS["cmo"], "Front Desk")
    assert built_from("PostNTrack2026!", cmo) and built_from("Front-Desk-2026", cmo)
    assert not built_from("CareSource2026!", cmo)  # another plan's brand is just a word here
    for password in ("Lantern-Orbit-42", "Care-Bear-Picnic-7", "Portal-Lantern-9"):
        assert not built_from(password, context_words(PLANS["caresource"], "Jane", "Doe"))
