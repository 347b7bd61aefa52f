"""Does response time tell who has an account? Sign-in (wrong password), password-reset request and
activation resend, each timed for existing and unknown addresses, interleaved, and a classifier that
guesses "existing or unknown" from the time alone (a threshold chosen on the other samples, leave-one-out).
50% is a coin toss; the target is at most 60%.

Does it tell who is a member? Eligibility, a claim search by member, a prior-authorization request and an
admission notice, each timed for members asked with a wrong birth date (the practice's own and other
providers') and for unknown member IDs, through the local API Gateway, with the same classifier.

"without the fix" runs the same requests with the work the steps did before it, put back by patches in
this process: no read of an absent account, no audit transaction and no queued message for unknown
addresses (sign-in wrote its record alone), and mail sent through SES inside the request; for members, the
whole member (profile and coverage in one Query) read by its ID and compared only when it was there.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from bench.table import render

SAMPLES = 30  # per endpoint, per class (existing, unknown), per variant
TARGET = 0.60
REGION = "us-east-1"
WRONG_PASSWORD = "Wrong-Guess-2026x"


@dataclass
class Figures:
    endpoint: str
    variant: str
    existing: list[float]
    unknown: list[float]
    statuses: set[int]
    subject: str = "account"  # or "member"

    @property
    def accuracy(self) -> float:
        return classifier_accuracy(self.existing, self.unknown)


def _best_threshold(train: list[tuple[float, int]]) -> tuple[float, bool]:
    """The cut (and its side) that best separates label 1 from label 0 in `train`."""
    values = sorted({t for t, _ in train})
    cuts = [values[0] - 1] + [(a + b) / 2 for a, b in pairwise(values)]
    best = (-1, cuts[0], True)
    for cut in cuts:
        for above in (True, False):
            right = sum(((t > cut) == above) == bool(label) for t, label in train)
            if right > best[0]:
                best = (right, cut, above)
    return best[1], best[2]


def classifier_accuracy(existing: list[float], unknown: list[float]) -> float:
    """Leave-one-out accuracy of a threshold classifier telling `existing` times from `unknown` ones."""
    samples = [(t, 1) for t in existing] + [(t, 0) for t in unknown]
    right = 0
    for i, (t, label) in enumerate(samples):
        cut, above = _best_threshold(samples[:i] + samples[i + 1:])
        right += int(((t > cut) == above) == bool(label))
    return right / len(samples)


def _email(kind: str) -> str:
    return f"enum-{kind}-{uuid.uuid4().hex[:12]}@clinic.example"


def _source_ip() -> str:
    return f"198.51.100.{random.randint(1, 254)}"


@contextmanager
def _before_the_fix() -> Iterator[None]:
    """The work of the steps before existing and unknown accounts did the same (see the module doc)."""
    import functions.activate.logic as activate
    import functions.password_reset.logic as reset
    from functions.shared.services.notify.mail import deliver
    from functions.shared.store.accounts import NO_ACCOUNT, DynamoAccounts
    from functions.shared.store.audit import DynamoAuditLog
    from functions.shared.store.models import UniqueKey
    from functions.shared.store.tokens import DynamoTokens
    from functions.shared.store.transactions import find

    def by_claim(self: DynamoAccounts, key: str) -> Any:
        claim = find(UniqueKey, key, consistent=False)
        return self.get(claim.account_id) if claim and claim.account_id else None

    def note(self: DynamoAccounts, account_id: str | None, audit: Any, **_: Any) -> None:
        if audit.action == "signin.password":
            DynamoAuditLog().record(audit)

    def issue(self: DynamoTokens, token: Any, audit: Any = None) -> None:
        if token.account_id != NO_ACCOUNT:
            original_issue(self, token, audit)

    original_issue = DynamoTokens.issue
    saved = (DynamoAccounts._by_claim, DynamoAccounts.note, DynamoTokens.issue, activate.send_mail,
             activate.send_decoy, reset.send_mail, reset.send_decoy)
    DynamoTokens.issue = issue  # type: ignore[method-assign]
    DynamoAccounts._by_claim = by_claim  # type: ignore[method-assign]
    DynamoAccounts.note = note  # type: ignore[method-assign]
    def send_now(to: str, mail: Any) -> None:
        deliver(to, mail)

    for module in (activate, reset):
        module.send_mail = send_now  # type: ignore[attr-defined]
        module.send_decoy = lambda: None  # type: ignore[attr-defined]
    try:
        yield
    finally:
        (DynamoAccounts._by_claim, DynamoAccounts.note, DynamoTokens.issue, activate.send_mail,
         activate.send_decoy, reset.send_mail, reset.send_decoy) = saved  # type: ignore[method-assign]


@contextmanager
def _members_before_the_fix() -> Iterator[None]:
    """Member lookups as they were: the member read whole by its ID, or not at all when the names found
    nobody, and compared only when it was there."""
    import functions.admissions.logic as admissions
    import functions.authorizations.logic as authorizations
    import functions.claims.logic as claims
    import functions.eligibility.logic as eligibility
    from functions.shared.store import repositories
    from functions.shared.store.members import identity_key

    def find_member(birth_date: Any, member_id: str | None = None, last_name: str | None = None,
                    first_name: str | None = None) -> Any:
        members = repositories().members
        if member_id:
            member = members.get(member_id)
        else:
            ids = members.ids_by_identity(last_name or "", first_name or "", birth_date)
            member = members.get(ids[0]) if len(ids) == 1 else None
        if member is None or member.profile.birth_date != birth_date:
            return None
        if last_name and first_name and identity_key(last_name, first_name, birth_date) != identity_key(
                member.profile.last_name, member.profile.first_name, birth_date):
            return None
        return member

    modules = (eligibility, claims, authorizations, admissions)
    saved = [module.find_member for module in modules]
    for module in modules:
        module.find_member = find_member  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module, original in zip(modules, saved, strict=True):
            module.find_member = original  # type: ignore[attr-defined]


# Demo members (devserver/demo_portal_data.py) with a birth date one day off: the practice's own (Grace Kim,
# primary care with P2000004, whom the bench acts for) and other providers'.
WRONG_BIRTH_DATES = {"M100005": "1962-05-19", "M100001": "1984-03-13", "M100002": "1975-07-05",
                     "M100003": "2019-11-21", "M100004": "1990-01-31"}
MEMBER_LOOKUPS = ("eligibility", "claim search", "authorization", "admission")


def _unknown_member() -> str:
    return f"M{random.randint(200000, 999999)}"


class MemberLookups:
    """The four member lookups over the local API Gateway, each by a signed-in user with access to
    the bench's Provider ID (a new one per lookup and variant: each stays under the hourly limits)."""

    def __init__(self, session: Any) -> None:
        from bench.aws_calls import LINK_FORM, Portal, payment_proof
        from devserver.demo_portal_data import ndjson
        from devserver.local_aws import LOCAL_ENV
        from devserver.roster import demo_roster
        from functions.portal_data_import.logic import import_extract

        demo_roster(LOCAL_ENV, session)  # the providers a link request is matched against
        extract = ndjson(date.today())
        import_extract(extract, "bench-members.ndjson")
        self.portal = Portal(payment_proof(extract, str(LINK_FORM["tax_id"])))
        self.acting_for = str(LINK_FORM["provider_number"])

    def browser(self) -> Any:
        return self.portal.with_access()

    def request(self, browser: Any, lookup: str, member_id: str, birth_date: str) -> tuple[float, int]:
        today = date.today()
        member = {"acting_for": self.acting_for, "member_id": member_id, "birth_date": birth_date}
        headers: dict[str, str] = {}
        if lookup == "eligibility":
            path, body = "/eligibility", {**member, "service_date": today.isoformat()}
        elif lookup == "claim search":
            path, body = "/claims/search", {**member, "from_date": (today - timedelta(days=365)).isoformat(),
                                            "to_date": today.isoformat()}
        elif lookup == "authorization":
            path, body = "/authorizations", {
                **member, "requesting_provider_id": self.acting_for, "servicing_provider_id": self.acting_for,
                "service_lines": [{"code": "73721", "units": 1}], "diagnosis_codes": ["M25.561"],
                "service_from": (today + timedelta(days=3)).isoformat(),
                "service_to": (today + timedelta(days=10)).isoformat(), "urgency": "standard"}
            headers = {"Idempotency-Key": uuid.uuid4().hex}
        else:
            admitted = (datetime.now(UTC) - timedelta(hours=4)).isoformat()
            path, body = "/admissions", {
                **member, "facility_provider_id": self.acting_for, "attending_provider_id": self.acting_for,
                "admitted_at": admitted, "admission_type": "inpatient", "admitting_diagnosis": "J18.9"}
        started = time.perf_counter()
        reply = browser.request("POST", path, body, headers=headers)
        return time.perf_counter() - started, reply.status


def _members_timed(lookups: MemberLookups, lookup: str, variant: str, samples: int, warm_ups: int) -> Figures:
    browser = lookups.browser()
    figures = Figures(lookup, variant, [], [], set(), subject="member")
    known = list(WRONG_BIRTH_DATES.items())
    for _ in range(warm_ups):
        lookups.request(browser, lookup, _unknown_member(), "1984-03-12")
        lookups.request(browser, lookup, *known[0])
    for i in range(samples):
        pair: list[tuple[str, tuple[str, str]]] = [("existing", known[i % len(known)]),
                                                    ("unknown", (_unknown_member(), known[i % len(known)][1]))]
        random.shuffle(pair)
        for kind, (member_id, birth_date) in pair:
            seconds, status = lookups.request(browser, lookup, member_id, birth_date)
            figures.statuses.add(status)
            (figures.existing if kind == "existing" else figures.unknown).append(seconds)
    return figures


def measure_members(session: Any, samples: int, warm_ups: int) -> list[Figures]:
    lookups = MemberLookups(session)
    results = []
    for lookup in MEMBER_LOOKUPS:
        with _members_before_the_fix():
            results.append(_members_timed(lookups, lookup, "without the fix", samples, warm_ups))
        results.append(_members_timed(lookups, lookup, "with the fix", samples, warm_ups))
    return results


class Endpoints:
    def __init__(self) -> None:
        from bench.aws_calls import Portal
        from functions.activate.handler import lambda_handler as activate
        from functions.password_reset.handler import lambda_handler as reset
        from functions.signin.handler import lambda_handler as signin

        self.portal = Portal()
        self.handlers = {"signin": signin, "password_reset": reset, "resend": activate}

    def request(self, endpoint: str, email: str) -> tuple[float, int]:
        from tests.events import FakeContext, api_event

        path, body = {
            "signin": ("/sessions", {"login": email, "password": WRONG_PASSWORD}),
            "password_reset": ("/password-resets", {"email": email}),
            "resend": ("/activations/resend", {"email": email}),
        }[endpoint]
        event = api_event("POST", path, body, source_ip=_source_ip())
        started = time.perf_counter()
        response = self.handlers[endpoint](event, FakeContext())
        return time.perf_counter() - started, int(response["statusCode"])

    def accounts(self, endpoint: str, count: int) -> list[str]:
        """Existing accounts for `endpoint`: active ones (sign-in, reset), pending ones (resend)."""
        emails = [_email("known") for _ in range(count)]
        for email in emails:
            if endpoint == "resend":
                self.portal.registered(email)
            else:
                self.portal.active(email)
        return emails


def _timed(endpoints: Endpoints, endpoint: str, variant: str, known: list[str], samples: int) -> Figures:
    figures = Figures(endpoint, variant, [], [], set())
    for email in known[:samples]:
        pair: list[tuple[str, str]] = [("existing", email), ("unknown", _email("unknown"))]
        random.shuffle(pair)
        for kind, address in pair:
            seconds, status = endpoints.request(endpoint, address)
            figures.statuses.add(status)
            (figures.existing if kind == "existing" else figures.unknown).append(seconds)
    return figures


def measure(samples: int = SAMPLES, warm_ups: int = 3) -> list[Figures]:
    from devserver.local_aws import LOCAL_ENV

    os.environ.update(LOCAL_ENV)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"

    import boto3
    from moto import mock_aws

    from bench.portal_paging import _forget_connections
    from devserver import dynamodb_local
    from devserver.local_aws import provision

    engine = dynamodb_local.start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.endpoint
    _forget_connections()  # an earlier section's DynamoDB client points at its own, stopped engine
    results: list[Figures] = []
    try:
        with mock_aws():
            provision(LOCAL_ENV, boto3.Session(region_name=REGION))
            endpoints = Endpoints()
            for endpoint in ("signin", "password_reset", "resend"):
                # Each existing account answers once per variant: under every per-address limit.
                known = endpoints.accounts(endpoint, samples)
                for warm in endpoints.accounts(endpoint, warm_ups):  # imports and first clients out of the timings
                    endpoints.request(endpoint, _email("warm"))
                    endpoints.request(endpoint, warm)
                with _before_the_fix():
                    results.append(_timed(endpoints, endpoint, "without the fix", known[1:] + known[:1], samples))
                results.append(_timed(endpoints, endpoint, "with the fix", known, samples))
            results.extend(measure_members(boto3.Session(region_name=REGION), samples, warm_ups))
    finally:
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        engine.stop()
    return results


def report(results: list[Figures]) -> str:
    accounts = [f for f in results if f.subject == "account"]
    members = [f for f in results if f.subject == "member"]
    text = ("Account enumeration by timing (in-process handlers, DynamoDB Local + moto; leave-one-out "
            "threshold classifier, 50% = chance)\n" + _table(accounts, "existing", "unknown"))
    if members:
        text += ("\n\nMember enumeration by timing (404 member-not-found through the local API Gateway, "
                 "authorizer incl.: a member asked with a wrong birth date, the practice's own or another "
                 "provider's, beside an unknown member ID; same classifier)\n"
                 + _table(members, "member", "unknown ID"))
    return text


def _table(results: list[Figures], existing_label: str, unknown_label: str) -> str:
    rows = []
    for f in results:
        known, unknown = statistics.median(f.existing), statistics.median(f.unknown)
        verdict = "-" if f.variant != "with the fix" else ("yes" if f.accuracy <= TARGET else "NO")
        if any(status >= 500 for status in f.statuses):  # a broken step times its failure, not its work
            verdict = "ERROR"
        if f.subject == "member" and f.statuses != {404}:  # every lookup must be the member-not-found answer
            verdict = "ERROR"
        rows.append([f.endpoint, f.variant, f"{len(f.existing)}+{len(f.unknown)}", f"{known * 1000:.1f} ms",
                     f"{unknown * 1000:.1f} ms", f"{(known - unknown) * 1000:+.1f} ms", f"{f.accuracy:.0%}",
                     verdict, "/".join(map(str, sorted(f.statuses)))])
    headers = ["endpoint", "variant", "samples", f"{existing_label} (median)", f"{unknown_label} (median)",
               "difference", "classifier accuracy", f"<= {TARGET:.0%}", "HTTP"]
    return render(headers, rows, right=(3, 4, 5, 6))


def main() -> None:
    print(report(measure()))


if __name__ == "__main__":
    main()
