"""The Provider Access API as a provider's system meets it, over HTTP on the local stack: an office
administrator registers the system's public key in the portal; the system (fhirpy and requests, with a
PyJWT-signed SMART Backend Services assertion) gets a token, matches members, exports, polls, downloads,
and every NDJSON line is a valid FHIR R4 resource that agrees with the portal's own records. Then what
an attacker or a careless client tries: expired, replayed, wrong-audience, unknown-key, wrong-algorithm
and revoked-client assertions, another Provider ID's group, an opted-out member, polling too fast, a
download after the export's Expires."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fhir.resources.R4B import get_fhir_model_class
from fhirpy import SyncFHIRClient

from devserver.gateway import STAFF_HEADER
from devserver.server import PortalServer
from functions.shared.core import clock as portal_clock
from functions.shared.core.clock import now
from functions.shared.store import repositories
from functions.shared.store.claims import MEMBER_OWNER
from functions.shared.store.models import AuditEvent
from functions.shared.store.provider_access import MemberGroup
from tests.integration import test_portal_data as portal
from tests.integration.browser import Browser
from tests.integration.conftest import wait_for
from tests.integration.test_links import settle
from tests.integration.test_org_agreement import SIGNER, cmo_user, linked_and_agreed, sign, staff

data, group = portal.data, portal.group  # the demo data and the administrator of G1000001
KID = "office-ehr-2026"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str = KID) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "alg": "RS384", "n": _b64(numbers.n), "e": _b64(numbers.e)}


@pytest.fixture
def server(gateway, tmp_path) -> Iterator[str]:
    running = PortalServer(("127.0.0.1", 0), web_root=tmp_path)
    running.gateway = gateway
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{running.server_address[1]}"
    finally:
        running.shutdown()
        running.server_close()


def register(admin: Browser, key: rsa.RSAPrivateKey, provider_id: str = "G1000001") -> str:
    reply = admin.post(f"/providers/{provider_id}/fhir-clients",
                       {"name": "Office EHR", "jwks": {"keys": [public_jwk(key)]}})
    assert reply.status == 200, reply.body
    return str(reply.body["client_id"])


def assertion(client_id: str, key: Any, aud: str, *, algorithm: str = "RS384", kid: str = KID,
              lifetime: int = 240, jti: str | None = None, **claims: Any) -> str:
    issued = int(portal_clock.now().timestamp())  # the portal's clock, which tests move
    body = {"iss": client_id, "sub": client_id, "aud": aud, "exp": issued + lifetime,
            "jti": jti or uuid.uuid4().hex, **claims}
    return jwt.encode(body, key, algorithm=algorithm, headers={"kid": kid})


def ask_token(base: str, signed: str, scope: str = "system/*.rs") -> requests.Response:
    return requests.post(f"{base}/auth/token", timeout=10, data={
        "grant_type": "client_credentials", "scope": scope,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": signed})


def token_endpoint(base: str) -> str:
    config = requests.get(f"{base}/.well-known/smart-configuration", timeout=10).json()
    assert "private_key_jwt" in config["token_endpoint_auth_methods_supported"]
    assert set(config["token_endpoint_auth_signing_alg_values_supported"]) == {"RS384", "ES384"}
    return str(config["token_endpoint"])


def match_parameters(*members: tuple[str, str, str, str]) -> dict[str, Any]:
    """A PDex provider member-match request: one MemberBundle per (member ID, family, given, birth date)."""
    bundles = []
    for n, (member_id, family, given, born) in enumerate(members, start=1):
        bundles.append({"name": "MemberBundle", "part": [
            {"name": "MemberPatient", "resource": {"resourceType": "Patient", "id": f"p{n}",
                                                   "name": [{"family": family, "given": [given]}],
                                                   "birthDate": born}},
            {"name": "CoverageToMatch", "resource": {"resourceType": "Coverage", "id": f"c{n}", "status": "active",
                                                     "subscriberId": member_id,
                                                     "beneficiary": {"reference": f"Patient/p{n}"},
                                                     "payor": [{"display": "Health Plan"}]}},
            {"name": "Consent", "resource": {
                "resourceType": "Consent", "id": f"a{n}", "status": "active",
                "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                      "code": "treatment"}]},
                "category": [{"coding": [{"system": "http://loinc.org", "code": "64292-6"}]}],
                "patient": {"reference": f"Patient/p{n}"},
                "provision": {"type": "permit", "period": {"start": "2026-01-01"}}}}]})
    return {"resourceType": "Parameters", "parameter": bundles}


JANE = ("M100001", "Doe", "Jane", "1984-03-12")
NOBODY = ("M999999", "Nobody", "Ann", "1970-01-01")


@pytest.fixture(params=["caresource", "cmo"])
def administrator(request, gateway, aws, clock, plan) -> Browser:
    """G1000001's administrator under each kind of plan profile: proven by a payment (caresource), or the
    signer of the organizational agreement staff approved (cmo), with the demo data loaded."""
    if request.param == "caresource":
        return request.getfixturevalue("group")
    plan("cmo")
    request.getfixturevalue("data")
    owner = cmo_user(gateway, SIGNER, "owner1")
    linked_and_agreed(owner)
    assert sign(owner) == 200
    assert staff(gateway).post("/staff/org-agreements/123456789/decision",
                               {"approve": True, "reason": "Verified with the group's owner"}).status == 200
    assert settle(owner, "active") == "active"
    return owner


def test_a_provider_system_matches_exports_and_downloads_what_the_portal_shows(administrator, server, rsa_key,
                                                                                 clock):
    group = administrator
    base = f"{server}/api/fhir"
    client_id = register(group, rsa_key)
    listed = group.get("/providers/G1000001/fhir-clients").body
    assert [c["client_id"] for c in listed["clients"]] == [client_id] and listed["clients"][0]["key_ids"] == [KID]
    metadata = requests.get(f"{base}/metadata", timeout=10).json()
    assert metadata["resourceType"] == "CapabilityStatement" and metadata["fhirVersion"] == "4.0.1"
    get_fhir_model_class("CapabilityStatement").model_validate(metadata)
    aud = token_endpoint(base)
    issued = ask_token(base, assertion(client_id, rsa_key, aud))
    assert issued.status_code == 200, issued.text
    token = issued.json()
    assert token["token_type"] == "bearer" and token["expires_in"] == 300
    assert set(token["scope"].split()) == {"system/Group.rs", "system/Patient.rs", "system/Coverage.rs",
                                           "system/ExplanationOfBenefit.rs"}
    fhir = SyncFHIRClient(base, authorization=f"Bearer {token['access_token']}")

    # Match: Jane (attributed to G1000001 through her PCP and claims) and someone who is no member.
    answer = fhir.execute("Group/$provider-member-match", method="post", data=match_parameters(JANE, NOBODY))
    get_fhir_model_class("Parameters").model_validate(answer)
    groups = {p["name"]: p["resource"] for p in answer["parameter"]}
    matched = groups["MatchedMembers"]
    assert [m["entity"]["reference"] for m in matched["member"]] == ["Patient/M100001"]
    assert [m["entity"]["reference"] for m in groups["NonMatchedMembers"]["member"]] == ["#submitted-2"]
    assert fhir.execute(f"Group/{matched['id']}", method="get")["quantity"] == 1

    # Export: 202 + Content-Location; polled too soon is 429; then the manifest.
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    kickoff = requests.post(f"{base}/Group/{matched['id']}/$davinci-data-export", timeout=30,
                            headers={**auth, "Prefer": "respond-async", "Accept": "application/fhir+json"})
    assert kickoff.status_code == 202, kickoff.text
    status_url = kickoff.headers["Content-Location"].replace("http://127.0.0.1:3000/api/fhir", base)
    first = requests.get(status_url, headers=auth, timeout=10)
    too_soon = requests.get(status_url, headers=auth, timeout=10)
    assert first.status_code in (200, 202) and too_soon.status_code == 429 and too_soon.headers["Retry-After"]
    assert too_soon.json()["resourceType"] == "OperationOutcome"

    def manifest() -> dict[str, Any] | None:
        time.sleep(0.2)
        clock.advance(seconds=2)  # the portal's clock stands still in tests: a client waits Retry-After
        polled = requests.get(status_url, headers=auth, timeout=10)
        if polled.status_code == 202:
            assert polled.headers["X-Progress"]
            return None
        assert polled.status_code == 200, polled.text
        assert polled.headers["Expires"]
        return polled.json()

    done = wait_for(manifest, timeout=60)
    assert done["requiresAccessToken"] is True and done["error"] == []
    resources: dict[str, list[dict[str, Any]]] = {}
    for output in done["output"]:
        url = output["url"].replace("http://127.0.0.1:3000/api/fhir", base)
        assert requests.get(url, timeout=10).status_code == 401  # the same token is needed
        got = requests.get(url, headers=auth, timeout=10)
        assert got.status_code == 200 and got.headers["Content-Type"].startswith("application/fhir+ndjson")
        lines = [json.loads(line) for line in got.text.splitlines()]
        assert len(lines) == output["count"]
        for line in lines:
            assert line["resourceType"] == output["type"]
            get_fhir_model_class(line["resourceType"]).model_validate(line)  # every line valid FHIR R4
        resources.setdefault(output["type"], []).extend(lines)

    # What it holds is what the portal holds for Jane: her name, her coverage, her claims and the group's
    # prior authorizations for her, without amounts.
    jane = repositories().members.get("M100001")
    (patient,) = resources["Patient"]
    assert patient["name"][0]["family"] == "Doe" and patient["birthDate"] == "1984-03-12"
    assert len(resources["Coverage"]) == len(jane.coverages)
    # the eligibility page's answer for the same member: the same name, plan and dates
    page = group.post("/eligibility", {"acting_for": "G1000001", "service_date": now().date().isoformat(),
                                       "member_id": "M100001", "birth_date": "1984-03-12"}).body
    assert page["member"]["first_name"] == patient["name"][0]["given"][0]
    shown = [c for c in (page["coverage"], *page["other_periods"]) if c]
    assert sorted((c["start"], c["plan"]) for c in shown) == sorted(
        (c["period"]["start"], c["class"][0]["name"]) for c in resources["Coverage"])
    claims = [e for e in resources["ExplanationOfBenefit"] if e["use"] == "claim"]
    on_file = repositories().claims.page(MEMBER_OWNER + "M100001", now().date() - timedelta(days=3650),
                                         now().date(), 500, None).items
    assert {e["identifier"][0]["value"] for e in claims} == {c.claim_id for c in on_file}
    assert all("total" not in e and "payment" not in e for e in claims)
    prior = {e["identifier"][0]["value"]: e for e in resources["ExplanationOfBenefit"]
             if e["use"] == "preauthorization"}
    assert {n for n in prior if n.startswith("PA-DEMO")} == {f"PA-DEMO00000{n}" for n in range(1, 8)}
    assert prior["PA-DEMO000005"]["outcome"] == "complete" and prior["PA-DEMO000005"]["disposition"]
    actions = {a["extension"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]
               for a in prior["PA-DEMO000005"]["item"][0]["adjudication"]}
    assert actions == {"A3"}
    audited = {(r.action, r.outcome) for r in AuditEvent.query(f"client:{client_id}")}
    assert {("fhir.token", "issued"), ("fhir.member_match", "matched"), ("fhir.group", "read"),
            ("fhir.export", "accepted"),
            ("fhir.export", "downloaded"), ("fhir.export", "complete")} <= audited


def test_bad_assertions_get_invalid_client_and_a_revoked_client_stops_at_once(group, server, rsa_key):
    base = f"{server}/api/fhir"
    client_id = register(group, rsa_key)
    aud = token_endpoint(base)

    def refused(signed: str) -> str:
        reply = ask_token(base, signed)
        assert reply.status_code == 401 and reply.json()["error"] == "invalid_client", reply.text
        return str(reply.json()["error_description"])

    assert "expired" in refused(assertion(client_id, rsa_key, aud, lifetime=-120))
    assert "five minutes" in refused(assertion(client_id, rsa_key, aud, lifetime=3600))
    assert "aud" in refused(assertion(client_id, rsa_key, "https://elsewhere.example/token"))
    assert "kid" in refused(assertion(client_id, rsa_key, aud, kid="someone-elses"))
    assert "RS384" in refused(assertion(client_id, rsa_key, aud, algorithm="RS256"))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert "signature" in refused(assertion(client_id, other, aud))  # right kid, wrong key
    ec_key = ec.generate_private_key(ec.SECP384R1())
    assert refused(assertion(client_id, ec_key, aud, algorithm="ES384"))  # an EC key the RSA kid does not fit
    assert "Unknown" in refused(assertion("pa-nobody", rsa_key, aud))
    once = assertion(client_id, rsa_key, aud, jti="used-once")
    assert ask_token(base, once).status_code == 200
    assert "jti" in refused(once)  # a replay
    bad_scope = ask_token(base, assertion(client_id, rsa_key, aud), scope="user/*.read")
    assert bad_scope.status_code == 400 and bad_scope.json()["error"] == "invalid_scope"

    token = ask_token(base, assertion(client_id, rsa_key, aud)).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{base}/Group/nothing", headers=auth, timeout=10).status_code == 404
    assert group.delete(f"/providers/G1000001/fhir-clients/{client_id}").status == 200
    after = requests.post(f"{base}/Group/$provider-member-match", headers=auth, timeout=10, json=match_parameters(JANE))
    assert after.status_code == 401 and after.json()["resourceType"] == "OperationOutcome"
    assert "invalid_token" in after.headers["WWW-Authenticate"]
    assert "Unknown or revoked" in refused(assertion(client_id, rsa_key, aud))


def test_another_providers_group_an_opted_out_member_and_an_expired_export(group, gateway, server, rsa_key, clock):
    base = f"{server}/api/fhir"
    client_id = register(group, rsa_key)
    aud = token_endpoint(base)

    def fresh_token() -> dict[str, str]:
        reply = ask_token(base, assertion(client_id, rsa_key, aud))
        assert reply.status_code == 200, reply.text
        return {"Authorization": f"Bearer {reply.json()['access_token']}"}

    auth = fresh_token()
    # A group matched for another Provider ID is not this client's: the same 404 as one that does not exist.
    repositories().provider_access.put_group(
        MemberGroup("b" * 32, "P9999999", "pa-other", ("M100001",), now(), now() + timedelta(days=30)),
        _entry())
    assert requests.get(f"{base}/Group/{'b' * 32}", headers=auth, timeout=10).status_code == 404
    stolen = requests.post(f"{base}/Group/{'b' * 32}/$davinci-data-export", timeout=10,
                           headers={**auth, "Prefer": "respond-async"})
    assert stolen.status_code == 404 and stolen.json()["issue"][0]["code"] == "not-found"

    # Jane opts out (staff route): she is consent-constrained, never in the matched group.
    staff = Browser(gateway, ip="127.0.0.1")
    opted = staff.request("PUT", "/staff/members/M100001/provider-access", {"opted_out": True},
                          headers={STAFF_HEADER: "provider.relations"})
    assert opted.status == 200, opted.body
    answer = requests.post(f"{base}/Group/$provider-member-match", headers=auth, timeout=10,
                           json=match_parameters(JANE)).json()
    groups = {p["name"]: p["resource"] for p in answer["parameter"]}
    assert groups["MatchedMembers"].get("member", []) == []
    assert [m["entity"]["reference"] for m in groups["ConsentConstrainedMembers"]["member"]] == ["#submitted-1"]
    staff.request("PUT", "/staff/members/M100001/provider-access", {"opted_out": False},
                  headers={STAFF_HEADER: "provider.relations"})

    # An export's files are gone after its Expires.
    matched = requests.post(f"{base}/Group/$provider-member-match", headers=auth, timeout=10,
                            json=match_parameters(JANE)).json()["parameter"][0]["resource"]
    kickoff = requests.post(f"{base}/Group/{matched['id']}/$davinci-data-export?_type=Patient", timeout=30,
                            headers={**auth, "Prefer": "respond-async"})
    job_id = kickoff.headers["Content-Location"].rsplit("/", 1)[-1]
    assert wait_for(lambda: repositories().provider_access.job(job_id).status == "complete", timeout=60)
    clock.advance(days=3)
    later = fresh_token()
    gone = requests.get(f"{base}/bulkstatus/{job_id}", headers=later, timeout=10)
    assert gone.status_code == 404 and gone.json()["resourceType"] == "OperationOutcome"
    files = requests.get(f"{base}/bulkfiles/{job_id}/Patient-1.ndjson", headers=later, timeout=10)
    assert files.status_code == 404


def _entry() -> Any:
    from functions.shared.core.audit import SystemOrigin, audit_event

    return audit_event("test", "setup", SystemOrigin("test"))


def _ec_jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    def coordinate(value: int) -> str:  # P-384: 48 bytes each, leading zeros kept (RFC 7518 6.2.1.2)
        return base64.urlsafe_b64encode(value.to_bytes(48, "big")).rstrip(b"=").decode()

    return {"kty": "EC", "kid": kid, "crv": "P-384", "x": coordinate(numbers.x), "y": coordinate(numbers.y)}


def test_keys_published_at_a_jwks_url_sign_es384_and_a_rotated_key_is_fetched(group, server, monkeypatch):
    """A system that publishes its keys (ES384 here): the token endpoint fetches them, picks up a rotated
    key by its new kid, and says so when the address cannot be read."""
    import http.server

    from functions.fhir_auth import logic as token_endpoint_rules

    monkeypatch.setattr(token_endpoint_rules, "JWKS_REFRESH_COOLDOWN_S", 0)  # a rotation is seen at once here

    published: dict[str, Any] = {"keys": []}

    class Keys(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(published).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    keys_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=keys_server.serve_forever, daemon=True).start()
    try:
        first = ec.generate_private_key(ec.SECP384R1())
        published["keys"] = [_ec_jwk(first, "ec-1")]
        url = f"http://127.0.0.1:{keys_server.server_address[1]}/jwks.json"  # http on this machine: local stage only
        reply = group.post("/providers/G1000001/fhir-clients", {"name": "Hosted EHR", "jwks_url": url})
        assert reply.status == 200, reply.body
        client_id = reply.body["client_id"]
        base = f"{server}/api/fhir"
        aud = token_endpoint(base)
        signed = assertion(client_id, first, aud, algorithm="ES384", kid="ec-1")
        assert ask_token(base, signed).status_code == 200
        # The system rotates its key: the new kid is fetched; the old key's kid no longer verifies.
        second = ec.generate_private_key(ec.SECP384R1())
        published["keys"] = [_ec_jwk(second, "ec-2")]
        rotated = ask_token(base, assertion(client_id, second, aud, algorithm="ES384", kid="ec-2"))
        assert rotated.status_code == 200, rotated.text
    finally:
        keys_server.shutdown()
        keys_server.server_close()
    # The address is gone: a refusal that says the keys could not be read (a kid not seen before).
    third = ec.generate_private_key(ec.SECP384R1())
    gone = ask_token(base, assertion(client_id, third, aud, algorithm="ES384", kid="ec-3"))
    assert gone.status_code == 401 and gone.json()["error"] == "invalid_client"
    assert "could not be read" in gone.json()["error_description"]
