"""Every password rule, as the user meets it."""

import pytest

from functions.shared.core.plans import PasswordPolicy, plan_profile
from functions.shared.services.security.passwords import (
    ARGON2_MEMORY_KIB,
    ARGON2_PARALLELISM,
    ARGON2_TIME_COST,
    hash_password,
    is_common,
    policy_errors,
    verify_password,
)

POLICY = PasswordPolicy()
EMAIL = "jane.doe@clinic.example"
GOOD = "Lantern-Orbit-42"


def messages(password: str, **kwargs: object) -> list[str]:
    return [e.message for e in policy_errors(password, POLICY, email=kwargs.pop("email", EMAIL), **kwargs)]


def test_a_good_password_passes():
    assert messages(GOOD) == []


@pytest.mark.parametrize(("password", "expected"), [
    ("Sh0rt!pass", "Use at least 12 characters."),
    ("LANTERN-ORBIT-42", "Add at least one lower-case letter."),
    ("lantern-orbit-42", "Add at least one capital letter."),
    ("Lantern-Orbit-xy", "Add at least one number."),
    ("LanternOrbit4242", "Add at least one special character, such as ! # % or a space."),
])
def test_each_broken_rule_is_named(password, expected):
    assert expected in messages(password)


def test_every_broken_rule_is_reported_at_once():
    assert len(messages("abc")) == 4  # length, capital, number, special


def test_email_and_its_local_part_are_refused():
    assert "Do not include your email address or the part before the @." in messages("Jane.Doe#2024xyz")
    assert "Do not include your email address or the part before the @." in messages(
        "x" + EMAIL.upper() + "1!")


def test_user_name_is_refused_case_insensitively():
    assert "Do not include your user name." in messages("Prefix-DrSmith-99", username="drsmith")


@pytest.mark.parametrize("password", ["Password123!", "Qwertyuiop1!", "!!Baseball2024", "Iloveyou12345!"])
def test_common_passwords_even_decorated_are_refused(password):
    assert is_common(password)
    assert "This password is too common and easy to guess; choose another." in messages(password)


def test_common_list_has_at_least_ten_thousand_entries():
    from functions.shared.services.security.passwords import _common_passwords

    assert len(_common_passwords()) >= 10_000


def test_long_unicode_passwords_are_allowed_and_never_truncated():
    long_pw = "Ünïcødé-Pässwörd-ß9-" * 4  # 80 characters, no ASCII-only assumption
    assert messages(long_pw) == []
    stored = hash_password(long_pw)
    assert verify_password(stored, long_pw)
    assert not verify_password(stored, long_pw[:-1])  # the last character still counts


def test_too_long_password_is_refused_with_a_limit():
    assert "Use at most 256 characters." in messages("Aa1!" * 70)


def test_unicode_is_normalised_before_hashing():
    composed, decomposed = "Caf\u00e9-Latte-2024", "Cafe\u0301-Latte-2024"
    assert verify_password(hash_password(composed), decomposed)


def test_argon2id_uses_owasp_parameters():
    stored = hash_password(GOOD)
    assert stored.startswith("$argon2id$")
    assert f"m={ARGON2_MEMORY_KIB},t={ARGON2_TIME_COST},p={ARGON2_PARALLELISM}" in stored
    assert ARGON2_MEMORY_KIB >= 19 * 1024 and ARGON2_TIME_COST >= 2 and ARGON2_PARALLELISM >= 1


def test_wrong_password_and_garbage_hash_do_not_verify():
    assert not verify_password(hash_password(GOOD), "Lantern-Orbit-43")
    assert not verify_password("not-a-hash", GOOD)


def test_policy_is_part_of_every_plan_profile():
    for key in ("caresource", "caresource-passe", "cca", "cmo"):
        assert plan_profile(key).password_policy.min_length >= 12
