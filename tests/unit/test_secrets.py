from datetime import UTC, datetime, timedelta

from functions.shared.services.security.secrets import (
    hash_secret,
    is_expired,
    new_code,
    new_token,
    same_hash,
)


def test_tokens_carry_at_least_128_bits_and_never_repeat():
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) >= 43 for t in tokens)  # 32 bytes in URL-safe base64


def test_hash_is_sha256_and_not_the_token():
    token = new_token()
    digest = hash_secret(token)
    assert len(digest) == 64 and token not in digest
    assert hash_secret(token) == digest


def test_codes_are_six_digits_and_scoped_hashes_differ_per_account():
    code = new_code()
    assert len(code) == 6 and code.isdigit()
    assert hash_secret(code, scope="a") != hash_secret(code, scope="b")


def test_same_hash_compares_safely():
    assert same_hash("ab", "ab")
    assert not same_hash("ab", "ac")
    assert not same_hash(None, "ab")


def test_expiry_is_inclusive_of_the_deadline():
    deadline = datetime(2026, 1, 1, tzinfo=UTC)
    assert not is_expired(deadline, deadline - timedelta(seconds=1))
    assert is_expired(deadline, deadline)
