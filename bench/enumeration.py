"""Does response time tell who has an account? Sign-in (wrong password), password-reset request and
activation resend, each timed for existing and unknown addresses, interleaved, and a classifier that
guesses "existing or unknown" from the time alone (a threshold chosen on the other samples, leave-one-out).
50% is a coin toss; the target is at most 60%.

"without the fix" runs the same requests with the work the steps did before it, put back by patches in
this process: no read of an absent account, no audit transaction and no queued message for unknown
addresses (sign-in wrote its record alone), and mail sent through SES inside the request.
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
    finally:
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        engine.stop()
    return results


def report(results: list[Figures]) -> str:
    rows = []
    for f in results:
        known, unknown = statistics.median(f.existing), statistics.median(f.unknown)
        verdict = "-" if f.variant != "with the fix" else ("yes" if f.accuracy <= TARGET else "NO")
        if any(status >= 500 for status in f.statuses):  # a broken step times its failure, not its work
            verdict = "ERROR"
        rows.append([f.endpoint, f.variant, f"{len(f.existing)}+{len(f.unknown)}", f"{known * 1000:.1f} ms",
                     f"{unknown * 1000:.1f} ms", f"{(known - unknown) * 1000:+.1f} ms", f"{f.accuracy:.0%}",
                     verdict, "/".join(map(str, sorted(f.statuses)))])
    headers = ["endpoint", "variant", "samples", "existing (median)", "unknown (median)", "difference",
               "classifier accuracy", f"<= {TARGET:.0%}", "HTTP"]
    return ("Account enumeration by timing (in-process handlers, DynamoDB Local + moto; leave-one-out "
            "threshold classifier, 50% = chance)\n" + render(headers, rows, right=(3, 4, 5, 6)))


def main() -> None:
    print(report(measure()))


if __name__ == "__main__":
    main()
