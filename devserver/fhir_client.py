"""A provider's system using the Provider Access API on the running devserver, step by step:

    python -m devserver.fhir_client [--url http://127.0.0.1:3000] [--provider G1000001]

It makes an RSA key, registers its public half as a client of the Provider ID (the devserver's
`/dev/fhir-client` tool does what the Provider ID's administrator does on the Members page), signs a
SMART Backend Services assertion, gets a token, matches the demo member Jane Doe, starts an export,
polls it and downloads each file; then sends Jane a prior-authorization request as a Da Vinci PAS
Bundle (`Claim/$submit`) and follows it with `Claim/$inquire`, printing each exchange."""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
import uuid
from typing import Any

FHIR_CLIENT_PATH = "/dev/fhir-client"


def register_locally(body: dict[str, Any]) -> dict[str, Any]:
    """The devserver's tool: register a client as the Provider ID's administrator would (local only)."""
    from pydantic import TypeAdapter

    from functions.fhir_clients import logic
    from functions.fhir_clients.models import RegisterClient
    from functions.shared.core import clock
    from functions.shared.core.http import RequestMeta

    provider_id = str(body.pop("provider_id", "")).strip().upper()
    if not provider_id:
        raise ValueError("provider_id is required")
    request = TypeAdapter(RegisterClient).validate_python(body)  # pydantic's ValidationError is a ValueError: a 400
    # The tool stands in for the Provider ID's administrator (the same rule after the admin check).
    return logic.add_client(provider_id, request, "devserver-tool", RequestMeta("devserver", "127.0.0.1", "devserver"),
                            clock.now()).model_dump(mode="json")


def _b64(number: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


def main(argv: list[str] | None = None) -> int:
    import jwt
    import requests
    from cryptography.hazmat.primitives.asymmetric import rsa

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    parser.add_argument("--provider", default="G1000001")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/") + "/api/fhir"

    def show(step: str, reply: requests.Response) -> Any:
        print(f"\n== {step}: {reply.request.method} {reply.url} -> {reply.status_code}")
        for name in ("Content-Location", "X-Progress", "Retry-After", "Expires"):
            if name in reply.headers:
                print(f"   {name}: {reply.headers[name]}")
        text = reply.text
        print("   " + (text[:600] + (" ..." if len(text) > 600 else "")))
        return reply

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": "walkthrough-1", "alg": "RS384", "n": _b64(numbers.n), "e": _b64(numbers.e)}
    client = show("register the public key", requests.post(
        args.url.rstrip("/") + FHIR_CLIENT_PATH, timeout=30,
        json={"provider_id": args.provider, "name": "Walk-through EHR", "jwks": {"keys": [jwk]},
              "scopes": ["system/Group.rs", "system/Patient.rs", "system/Coverage.rs",
                         "system/ExplanationOfBenefit.rs", "system/ClaimResponse.rs", "system/Claim.c"]})).json()
    config = show("SMART configuration", requests.get(f"{base}/.well-known/smart-configuration", timeout=30)).json()
    now = int(time.time())
    assertion = jwt.encode({"iss": client["client_id"], "sub": client["client_id"], "aud": config["token_endpoint"],
                            "exp": now + 240, "jti": uuid.uuid4().hex}, key, algorithm="RS384",
                           headers={"kid": jwk["kid"]})
    token = show("token", requests.post(f"{base}/auth/token", timeout=30, data={
        "grant_type": "client_credentials", "scope": "system/*.rs system/Claim.c", "client_assertion": assertion,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    match = {"resourceType": "Parameters", "parameter": [{"name": "MemberBundle", "part": [
        {"name": "MemberPatient", "resource": {"resourceType": "Patient", "birthDate": "1984-03-12",
                                               "name": [{"family": "Doe", "given": ["Jane"]}]}},
        {"name": "CoverageToMatch", "resource": {"resourceType": "Coverage", "status": "active",
                                                 "subscriberId": "M100001", "beneficiary": {"reference": "Patient/1"},
                                                 "payor": [{"display": "Health Plan"}]}},
        {"name": "Consent", "resource": {"resourceType": "Consent", "status": "active",
                                         "scope": {"coding": [{"code": "treatment"}]}, "category": [{"text": "TPO"}]}},
    ]}]}
    matched = show("member match", requests.post(f"{base}/Group/$provider-member-match", json=match, timeout=30,
                                                 headers=auth)).json()
    group = matched["parameter"][0]["resource"]
    kickoff = show("export", requests.post(f"{base}/Group/{group['id']}/$davinci-data-export", timeout=30,
                                           headers={**auth, "Prefer": "respond-async"}))
    if kickoff.status_code != 202:
        return 1
    status_url = kickoff.headers["Content-Location"]
    while True:
        time.sleep(2.5)
        status = show("status", requests.get(status_url, headers=auth, timeout=30))
        if status.status_code != 202:
            break
    if status.status_code != 200:
        return 1
    for output in status.json()["output"]:
        lines = show(f"download {output['type']}", requests.get(output["url"], headers=auth, timeout=60)).text
        print(f"   {len(lines.splitlines())} {output['type']} resources")
    fhir_json = {**auth, "Content-Type": "application/fhir+json"}
    submitted = show("prior authorization: Claim/$submit", requests.post(
        f"{base}/Claim/$submit", json=pas_request(args.provider), headers=fhir_json, timeout=30))
    if submitted.status_code != 200:
        return 1
    number = submitted.json()["entry"][0]["resource"]["id"]
    inquiry = pas_request(args.provider, inquiry_of=number)
    found = show("prior authorization: Claim/$inquire", requests.post(
        f"{base}/Claim/$inquire", json=inquiry, headers=fhir_json, timeout=30))
    if found.status_code != 200:
        return 1
    print(json.dumps({"client_id": client["client_id"], "group": group["id"], "authorization": number}))
    return 0


def pas_request(provider_id: str, inquiry_of: str | None = None) -> dict[str, Any]:
    """A PAS request (or, naming a request's number, inquiry) Bundle for the demo member Jane Doe."""
    claim: dict[str, Any] = {
        "resourceType": "Claim", "status": "active", "use": "preauthorization",
        "identifier": [{"system": "urn:trnorg:walkthrough", "value": uuid.uuid4().hex[:12]}],
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "patient": {"reference": "urn:uuid:patient"}, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "insurer": {"reference": "urn:uuid:insurer"}, "provider": {"reference": "urn:uuid:requester"},
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority", "code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "urn:uuid:coverage"}}],
        "diagnosis": [{"sequence": 1, "diagnosisCodeableConcept": {"coding": [
            {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M17.11"}]}}],
        "item": [{"sequence": 1, "productOrService": {"coding": [{"system": "http://www.ama-assn.org/go/cpt",
                                                                  "code": "97110"}]}, "quantity": {"value": 12}}],
    }
    if inquiry_of:
        claim["extension"] = [{"url": "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
                                      "extension-authorizationNumber", "valueString": inquiry_of}]
    resources = {
        "urn:uuid:claim": claim,
        "urn:uuid:requester": {"resourceType": "Organization",
                               "identifier": [{"system": "urn:portal:provider-id", "value": provider_id}]},
        "urn:uuid:insurer": {"resourceType": "Organization", "name": "Health Plan"},
        "urn:uuid:coverage": {"resourceType": "Coverage", "status": "active", "subscriberId": "M100001",
                              "beneficiary": {"reference": "urn:uuid:patient"},
                              "payor": [{"reference": "urn:uuid:insurer"}]},
        "urn:uuid:patient": {"resourceType": "Patient", "birthDate": "1984-03-12",
                             "name": [{"family": "Doe", "given": ["Jane"]}]},
    }
    return {"resourceType": "Bundle", "type": "collection",
            "identifier": {"system": "urn:walkthrough:bundle", "value": uuid.uuid4().hex},
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "entry": [{"fullUrl": url, "resource": resource} for url, resource in resources.items()]}


if __name__ == "__main__":
    sys.exit(main())
