"""The kinds of claim in the unique-keys table: one prefix per kind, one repository that writes it.

A claim is an item whose key must not exist yet (a conditional put), so a value can be taken once: an
email address, a spent CAPTCHA, a submission's Idempotency-Key. Every kind is listed here with its owner,
the only repository module that creates, changes or deletes it, and what the item's `account_id` holds;
tests/unit/test_unique_keys.py checks that no other module writes a kind and that no prefix is the start
of another. A new kind is one line here and its owner's code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClaimKind:
    prefix: str
    owner: str  # the module under functions/shared/store/ that writes it
    holder: str  # what the item's `account_id` names (and which other attribute it uses)

    def key(self, *parts: str) -> str:
        return self.prefix + "#".join(parts)


EMAIL = ClaimKind("email#", "accounts", "the account registered with the address (released by lifecycle "
                                        "when a registration expires unactivated)")
USERNAME = ClaimKind("username#", "accounts", "the account with the user name, case-folded (released as EMAIL)")
CAPTCHA = ClaimKind("captcha#", "accounts", "nothing: a spent CAPTCHA solution, until it expires")
PROVIDER_ADMIN = ClaimKind("provider-admin#", "links", "the Provider ID's first administrator; `tally`: how many "
                                                       "administrators it has")
ADMISSION = ClaimKind("admission#", "admissions", "the admission notified for <member>#<facility>#<admit day>")
AUTHORIZATION_IDEMPOTENCY = ClaimKind("pa-idempotency#", "authorizations",
                                      "the request a submission created (<account>#<hashed key>); `digest`: the "
                                      "submission's SHA-256")
ROSTER_IMPORT = ClaimKind("roster-import#", "roster", "the roster version a file's digest was applied as")
JOB = ClaimKind("job#", "lifecycle", "nothing; `day`: the last day the job finished")
DELIVERY = ClaimKind("delivery#", "deliveries", "nothing (a Delivery item): a queued mail's delivery claim")

KINDS: tuple[ClaimKind, ...] = (EMAIL, USERNAME, CAPTCHA, PROVIDER_ADMIN, ADMISSION, AUTHORIZATION_IDEMPOTENCY,
                                ROSTER_IMPORT, JOB, DELIVERY)
