"""AWS API calls per request: each endpoint's happy path, counting every botocore API call.

DynamoDB calls go to Amazon DynamoDB Local (the engine `make run` and the integration tests use);
the other services to moto, in-process.

Counting wraps `botocore.client.BaseClient._make_api_call`, the one method every client call goes
through: boto3 clients, Powertools parameter providers and the botocore client PynamoDB creates in
its own botocore session alike.

Each endpoint runs twice with fresh data: "first" with Powertools' parameter cache cleared (a new
container), "warm" right after (cached secret, as for later requests in the same container).
"""

from __future__ import annotations

import base64
import ipaddress
import itertools
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bench.table import render

REGION = "us-east-1"
# Portal data: the authorizer (1), the access check (links + consent: 2), the rate limit (1), the audit
# record (1) and the read itself (a claim: 1 GetItem; a page: 1 Query; eligibility by member ID: the
# member's profile, 1 GetItem, then their coverage, 1 Query, read only once the identity matched, so a
# lookup that finds no member does the same work whatever member ID it names).
# Registration: its two limits (per source, per address: one conditional update each), the account
# transaction and the mail. Sign-in: the login's claim and account, its failure counters (one batch
# read) and the session transaction. With a CAPTCHA, one more write spends the solution first, on its own
# (so a refused attempt spends it too), and a new container reads the CAPTCHA key once.
TARGETS = {"register": 4, "register_captcha": 5, "activate": 2, "signin": 4, "mfa": 6, "portal_read": 6,
           "eligibility": 7}
PASSWORD = "Lantern-Orbit-42"
# The solo practitioner the portal reads act for (demo roster and demo extract), as its linker names it.
PROVIDER = "P2000004"
LINK_FORM = {"provider_type": "practitioner", "first_name": "Robert", "last_name": "Chen", "tax_id": "45-6789012",
             "provider_number": PROVIDER, "zip": "02108"}


@dataclass
class Counter:
    calls: list[str] = field(default_factory=list)

    @contextmanager
    def installed(self) -> Iterator[Counter]:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        calls = self.calls

        def counting(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
            calls.append(f"{client.meta.service_model.service_name}.{operation_name}")
            return original(client, operation_name, api_params)

        BaseClient._make_api_call = counting  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]


@dataclass
class Result:
    endpoint: str
    target_key: str | None
    statuses: list[int]
    first: list[str]
    warm: list[str]
    error: str | None = None


@dataclass
class Scenario:
    endpoint: str
    plan: str
    expected_status: int
    prepare: Callable[[], tuple[Any, dict[str, Any]]]  # -> (handler, event); runs uncounted
    target_key: str | None = None


def _email() -> str:
    return f"bench-{uuid.uuid4().hex[:12]}@clinic.example"


_VISITORS = itertools.count(1)


def _visitor() -> str:
    """A new visitor's address (198.18.0.0/15, the range set aside for benchmarks): each registration comes
    from its own, as from people on their own machines, so the per-source limits never refuse the bench."""
    return str(ipaddress.ip_address("198.18.0.0") + next(_VISITORS) % 131_000)


def _form(email: str, **extra: object) -> dict[str, object]:
    return {"email": email, "password": PASSWORD, "first_name": "Bench", "last_name": "Mark", **extra}


def _expect(reply: Any, step: str) -> Any:
    """A set-up request's reply, which must be a success."""
    if not 200 <= reply.status < 300:
        raise RuntimeError(f"setup {step} failed: {reply.status} {reply.body}")
    return reply


def payment_proof(extract: str, tax_id: str) -> dict[str, str]:
    """A payment the plan made to `tax_id` in a FHIR NDJSON extract, as its remittance advice shows it (the
    trace or check number and the total paid under it): what a first linker proves."""
    from functions.portal_data_import.fhir import TAX_ID

    totals: dict[str, float] = {}
    for line in extract.splitlines():
        resource = json.loads(line)
        payment = resource.get("payment") if resource.get("resourceType") == "ExplanationOfBenefit" else None
        tax_ids = {identifier["value"].replace("-", "") for contained in resource.get("contained", [])
                   for identifier in contained.get("identifier", []) if identifier.get("system") == TAX_ID}
        if payment and tax_id.replace("-", "") in tax_ids:
            number = payment["identifier"]["value"]
            totals[number] = totals.get(number, 0.0) + float(payment["amount"]["value"])
    paid = {number: total for number, total in totals.items() if total > 0}
    if not paid:
        raise RuntimeError(f"the extract has no payment to Tax ID {tax_id}")
    number = min(paid)
    return {"number": number, "amount": f"{paid[number]:.2f}"}


class Portal:
    """The handlers on moto, plus what a browser would do between requests (read mail, solve CAPTCHA)."""

    def __init__(self, payment: dict[str, str] | None = None) -> None:
        from functions.activate.handler import lambda_handler as activate
        from functions.register.handler import lambda_handler as register

        self.register = register
        self.activate = activate
        self.payment = payment  # the proof a first linker of PROVIDER sends (see payment_proof)

    @staticmethod
    def call(handler: Any, event: dict[str, Any]) -> tuple[int, Any]:
        from tests.events import FakeContext

        response = handler(event, FakeContext())
        return response["statusCode"], json.loads(response["body"]) if response.get("body") else None

    @staticmethod
    def event(method: str, path: str, body: object = None, source_ip: str | None = None) -> dict[str, Any]:
        from tests.events import api_event

        return api_event(method, path, body, **({"source_ip": source_ip} if source_ip else {}))

    def registered(self, email: str) -> None:
        status, body = self.call(self.register, self.event("POST", "/registrations", _form(email), _visitor()))
        if status != 202:
            raise RuntimeError(f"setup registration failed: {status} {body}")

    @staticmethod
    def activation_token(email: str) -> str:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        from devserver.mail_queue import drain

        drain()  # deliver the queued mail, as the mail_sender function would
        for mail in reversed(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages):
            if email in mail.destinations["ToAddresses"]:
                match = re.search(r"#token=([A-Za-z0-9_-]+)", mail.body)
                if match:
                    return match.group(1)
        raise RuntimeError(f"no activation link was mailed to {email}")

    def active(self, email: str) -> None:
        self.registered(email)
        status, body = self.call(self.activate, self.event("POST", "/activations",
                                                           {"token": self.activation_token(email)}))
        if status != 200:
            raise RuntimeError(f"setup activation failed: {status} {body}")

    @staticmethod
    def last_code(email: str) -> str:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        from devserver.mail_queue import drain

        drain()  # deliver the queued mail, as the mail_sender function would
        for mail in reversed(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages):
            if email in mail.destinations["ToAddresses"]:
                match = re.search(r"\b(\d{6})\b", mail.body)
                if match:
                    return match.group(1)
        raise RuntimeError(f"no code was mailed to {email}")

    def browser(self) -> Any:
        from devserver.gateway import Gateway
        from tests.integration.browser import Browser

        if not hasattr(self, "_gateway"):
            self._gateway = Gateway()
        return Browser(self._gateway)

    @staticmethod
    def through_gateway(browser: Any, method: str, path: str, body: Any) -> tuple[Any, dict[str, Any]]:
        """A request through the local API Gateway: the authorizer's calls count with the function's."""

        def run(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
            reply = browser.request(method, path, body)
            return {"statusCode": reply.status, "body": json.dumps(reply.body)}

        return run, {}

    def solved_captcha(self) -> str:
        from altcha import solve_challenge_v1

        status, challenge = self.call(self.register, self.event("GET", "/captcha"))
        if status != 200:
            raise RuntimeError(f"GET /captcha failed: {status} {challenge}")
        solution = solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                      challenge["maxnumber"])
        if solution is None:
            raise RuntimeError("the CAPTCHA challenge has no solution")
        payload = {"algorithm": challenge["algorithm"], "challenge": challenge["challenge"],
                   "number": solution.number, "salt": challenge["salt"], "signature": challenge["signature"]}
        return base64.b64encode(json.dumps(payload).encode()).decode()

    def with_access(self) -> Any:
        """A fully signed-in browser whose account has an active practitioner link to PROVIDER.

        The link is asked for through the API with a payment the plan made to the practice (the first
        linker proves it and becomes the Provider ID's administrator; later ones ask as members), and
        the Provider Agreement is accepted through the API. The bench's moto runs no Step Functions, so
        the access workflow's grant step then runs in-process, through the workflow's own Lambda handler
        (for a member it also stands for the administrator's approval)."""
        from functions.access_workflow.handler import lambda_handler as workflow_step
        from functions.shared.services.security.secrets import hash_secret
        from functions.shared.store import repositories
        from tests.events import FakeContext

        email = _email()
        self.active(email)
        browser = self.browser()
        _expect(browser.post("/sessions", {"login": email, "password": PASSWORD}), "sign-in")
        factor = _expect(browser.post("/mfa/factors", {"kind": "email"}), "MFA enrolment").body["factor_id"]
        _expect(browser.post(f"/mfa/factors/{factor}/confirm", {"code": self.last_code(email)}), "MFA confirm")
        _expect(browser.post("/links", {**LINK_FORM, "payment": self.payment}), "link request")
        version = _expect(browser.get("/agreements/provider"), "agreement").body["version"]
        _expect(browser.post("/agreements/provider", {"version": version}), "agreement acceptance")
        account_id = repositories().sessions.get(hash_secret(browser.cookies["__Host-session"])).account_id
        workflow_step({"action": "grant", "link": {"account_id": account_id, "provider_id": PROVIDER}},
                      FakeContext())
        links = _expect(browser.get("/links"), "links").body["links"]
        if [(link["provider_id"], link["status"]) for link in links] != [(PROVIDER, "active")]:
            raise RuntimeError(f"setup link is not active: {links}")
        return browser

    def scenarios(self) -> list[Scenario]:
        def register() -> tuple[Any, dict[str, Any]]:
            return self.register, self.event("POST", "/registrations", _form(_email()), _visitor())

        def activate() -> tuple[Any, dict[str, Any]]:
            email = _email()
            self.registered(email)
            return self.activate, self.event("POST", "/activations", {"token": self.activation_token(email)})

        def resend_pending() -> tuple[Any, dict[str, Any]]:
            email = _email()
            self.registered(email)
            return self.activate, self.event("POST", "/activations/resend", {"email": email})

        def resend_unknown() -> tuple[Any, dict[str, Any]]:
            return self.activate, self.event("POST", "/activations/resend", {"email": _email()})

        def captcha() -> tuple[Any, dict[str, Any]]:
            return self.register, self.event("GET", "/captcha")

        def register_cmo() -> tuple[Any, dict[str, Any]]:
            name = f"desk{uuid.uuid4().hex[:10]}"
            form = _form(_email(), username=name, display_name="Front Desk", confirm_password=PASSWORD,
                         group_name="Riverside Family Practice", telephone="(555) 123-4567",
                         fax="555.123.4568", captcha=self.solved_captcha())
            return self.register, self.event("POST", "/registrations", form, _visitor())

        def sign_in() -> tuple[Any, dict[str, Any]]:
            email = _email()
            self.active(email)
            return self.through_gateway(self.browser(), "POST", "/sessions", {"login": email, "password": PASSWORD})

        def mfa_verify() -> tuple[Any, dict[str, Any]]:
            email = _email()
            self.active(email)
            enrolled = self.browser()
            enrolled.post("/sessions", {"login": email, "password": PASSWORD})
            factor = enrolled.post("/mfa/factors", {"kind": "email"}).body["factor_id"]
            enrolled.post(f"/mfa/factors/{factor}/confirm", {"code": self.last_code(email)})
            browser = self.browser()
            browser.post("/sessions", {"login": email, "password": PASSWORD})
            browser.post("/mfa/challenge", {"factor_id": factor})
            body = {"factor_id": factor, "code": self.last_code(email), "remember_device": True}
            return self.through_gateway(browser, "POST", "/mfa/verify", body)

        with_access = self.with_access

        def eligibility() -> tuple[Any, dict[str, Any]]:
            return self.through_gateway(with_access(), "POST", "/eligibility", {
                "acting_for": PROVIDER, "member_id": "M100005", "birth_date": "1962-05-18",
                "service_date": date.today().isoformat()})

        def claim() -> tuple[Any, dict[str, Any]]:
            return self.through_gateway(with_access(), "GET", f"/claims/C26000108?acting_for={PROVIDER}", None)

        def claim_page() -> tuple[Any, dict[str, Any]]:
            return self.through_gateway(with_access(), "POST", "/claims/search", {
                "acting_for": PROVIDER, "provider_id": PROVIDER, "page_size": 25,
                "from_date": (date.today() - timedelta(days=365)).isoformat(), "to_date": date.today().isoformat()})

        return [
            Scenario("POST /eligibility (member ID; authorizer incl.)", "caresource", 200, eligibility,
                     "eligibility"),
            Scenario("GET /claims/{claim_id} (authorizer incl.)", "caresource", 200, claim, "portal_read"),
            Scenario("POST /claims/search (a provider's page)", "caresource", 200, claim_page, "portal_read"),
            Scenario("POST /sessions (sign-in, password only)", "caresource", 200, sign_in, "signin"),
            Scenario("POST /mfa/verify (email code; authorizer incl.)", "caresource", 200, mfa_verify, "mfa"),
            Scenario("POST /registrations", "caresource", 202, register, "register"),
            Scenario("POST /activations (token from the mail)", "caresource", 200, activate, "activate"),
            Scenario("POST /activations/resend (pending account)", "caresource", 202, resend_pending),
            Scenario("POST /activations/resend (unknown email)", "caresource", 202, resend_unknown),
            Scenario("GET /captcha (PLAN=cmo)", "cmo", 200, captcha),
            Scenario("POST /registrations (PLAN=cmo, solved CAPTCHA)", "cmo", 202, register_cmo,
                     "register_captcha"),
        ]


def _use_plan(plan: str) -> None:
    from functions.shared.core.config import settings

    if os.environ.get("PLAN") != plan:
        os.environ["PLAN"] = plan
        settings.cache_clear()


def _forget_cached_parameters() -> None:
    """What a new container starts without: every Powertools parameter provider's cache."""
    import gc

    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.base import BaseProvider

    kinds, new = {BaseProvider}, [BaseProvider]
    while new:  # every provider class (an exact type lookup: isinstance on every object is slow)
        new = [sub for cls in new for sub in cls.__subclasses__() if sub not in kinds]
        kinds.update(new)
    parameters.clear_caches()
    for obj in gc.get_objects():  # providers a function built itself, not only the default ones
        if type(obj) in kinds:
            obj.clear_cache()


def _counted(portal: Portal, scenario: Scenario, *, cold: bool) -> tuple[int, list[str]]:
    handler, event = scenario.prepare()
    if cold:
        _forget_cached_parameters()
    with Counter().installed() as counter:
        status, _ = portal.call(handler, event)
    return status, counter.calls


def measure() -> list[Result]:
    from devserver.local_aws import LOCAL_ENV

    os.environ.update(LOCAL_ENV)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)

    import boto3
    from moto import mock_aws

    from bench.portal_paging import _forget_connections
    from devserver import dynamodb_local
    from devserver.local_aws import provision

    results = []
    engine = dynamodb_local.start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.endpoint
    _forget_connections()  # an earlier section's DynamoDB client points at its own, stopped engine
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        provision(LOCAL_ENV, session)
        from devserver.demo_portal_data import ndjson
        from devserver.roster import demo_roster
        from functions.portal_data_import.logic import import_extract

        demo_roster(LOCAL_ENV, session)  # the providers a link request is matched against
        extract = ndjson(date.today())
        import_extract(extract, "bench.ndjson")  # members and claims to read, payments to prove
        portal = Portal(payment_proof(extract, str(LINK_FORM["tax_id"])))
        try:
            for scenario in portal.scenarios():
                _use_plan(scenario.plan)
                result = Result(scenario.endpoint, scenario.target_key, [], [], [])
                try:
                    first_status, result.first = _counted(portal, scenario, cold=True)
                    warm_status, result.warm = _counted(portal, scenario, cold=False)
                    result.statuses = [first_status, warm_status]
                    if {first_status, warm_status} != {scenario.expected_status}:
                        result.error = f"expected HTTP {scenario.expected_status}"
                except Exception as exc:  # report and go on: one broken endpoint should not hide the rest
                    result.error = f"{type(exc).__name__}: {str(exc)[:200]}"
                results.append(result)
        finally:
            _use_plan(LOCAL_ENV["PLAN"])
            os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
            engine.stop()
    return results


def _operations(calls: list[str]) -> str:
    counts: dict[str, int] = {}
    for call in calls:
        counts[call] = counts.get(call, 0) + 1
    return ", ".join(f"{op} x{n}" if n > 1 else op for op, n in counts.items()) or "(none)"


def report(results: list[Result]) -> str:
    rows = []
    for r in results:
        if r.error and not r.statuses:
            rows.append([r.endpoint, "-", "-", "-", "-", "ERROR", r.error])
            continue
        target = TARGETS.get(r.target_key or "")
        if target is None:
            verdict, target_text = "-", "-"
        elif len(r.first) <= target and len(r.warm) <= target:
            verdict, target_text = "yes", f"<= {target}"
        elif len(r.warm) <= target:
            verdict, target_text = "warm only", f"<= {target}"
        else:
            verdict, target_text = "NO", f"<= {target}"
        statuses = "/".join(map(str, r.statuses))
        ops = _operations(r.first)
        if r.error:
            verdict, ops = "ERROR", f"{r.error}; {ops}"
        rows.append([r.endpoint, statuses, len(r.first), len(r.warm), target_text, verdict, ops])
        if r.warm != r.first:
            rows.append(["", "", "", "", "", "", f"warm: {_operations(r.warm)}"])
    headers = ["endpoint (happy path)", "HTTP", "first", "warm", "target", "meets", "AWS operations (first)"]
    return ("AWS API calls per request (DynamoDB Local + moto); first = new container (parameter cache cleared), "
            "warm = next request\n" + render(headers, rows, right=(2, 3)))
