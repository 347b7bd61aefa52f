"""The Prior Authorization API's rules (CMS-0057-F; Da Vinci PAS 2.2.1): a provider's system submits,
appeals, cancels and follows its requests; they are the same requests, on the same clock and review
queue, as those sent from the portal's pages (functions/shared/services/prior_auth.py).

- `$submit` answers at once (well within PAS's 15 seconds): the request is stored, its clock started, and
  the answer is pended (A4) with the request's numbers, or the decision when one exists (a resent
  Bundle). The Bundle's identifier is the idempotency key, per Provider ID: the same Bundle again returns
  the same request; another Bundle with that identifier is refused.
- A client acts for the Provider ID that registered it: it sees and changes only that Provider ID's
  requests. A request of another provider, or one that does not exist, answers alike ("no match").
- `$inquire` finds the member's requests by example: the member (member ID and date of birth), the
  requesting provider (the client's Provider ID), optionally a request's number (the portal's, the
  plan's or the submitter's trace number), services and dates. It looks back `INQUIRY_YEARS` by
  submission date, so a pended request stays inquirable long after six months.
- Every submission, cancellation and inquiry is audited with the client and the Provider ID.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from functions.prior_auth_api import bundle as pas
from functions.prior_auth_api import responses
from functions.shared.core import audit
from functions.shared.core.fhir_http import FhirError
from functions.shared.core.http import RequestMeta
from functions.shared.core.ids import normal_id
from functions.shared.core.plans import PlanProfile
from functions.shared.services import prior_auth
from functions.shared.services.member_identity import find_member
from functions.shared.store import repositories
from functions.shared.store.audit import record as audit_record
from functions.shared.store.authorizations import (
    API_CLIENT,
    APPEALABLE,
    OPEN_AUTHORIZATION_STATUSES,
    Authorization,
    AuthorizationStatus,
    Change,
    Event,
    idempotency_key,
)
from functions.shared.store.members import Member
from functions.shared.store.provider_access import AccessGrant
from functions.shared.store.transactions import StaleWrite

INQUIRY_YEARS = 3
MAX_INQUIRY_RESULTS = 50
_PAGE = 100


def _no_member(grant: AccessGrant, meta: RequestMeta, now: datetime, action: str) -> FhirError:
    audit_record(f"phi.authorization.{action}", "member_not_found", meta, subject=API_CLIENT + grant.client_id,
                 now=now, detail={"provider_id": grant.provider_id})
    return FhirError(404, "not-found", "No member matches this member ID and date of birth: check them against "
                                       "the member's card.", expression="Claim.patient")


def _acting_for(requester: pas.Party, grant: AccessGrant) -> None:
    if requester.provider_id is not None and requester.provider_id != grant.provider_id:
        raise FhirError(403, "forbidden", f"Claim.provider names Provider ID {requester.provider_id}; this client "
                                          f"acts for {grant.provider_id} only.", expression="Claim.provider")


def _entry(action: str, outcome: str, a: Authorization, grant: AccessGrant, meta: RequestMeta,
           now: datetime) -> audit.AuditEntry:
    return audit.audit_event(f"phi.authorization.{action}", outcome, meta, subject=API_CLIENT + grant.client_id,
                             now=now, detail={"provider_id": grant.provider_id, "client_id": grant.client_id,
                                              "authorization_id": a.authorization_id, "member_id": a.member_id})


def submit(body: dict[str, Any], grant: AccessGrant, plan: PlanProfile, meta: RequestMeta,
           now: datetime) -> dict[str, Any]:
    req = pas.read_request(body, now.date())
    _acting_for(req.requester, grant)
    bundle_key = hashlib.sha256(req.bundle_key.encode()).hexdigest()[:32]
    claim_key = idempotency_key(API_CLIENT + grant.provider_id, bundle_key)
    try:
        stored = prior_auth.earlier(claim_key, req.digest)
        if stored is not None:
            return _answer(stored, req, plan, now)
        member = find_member(req.birth_date, req.member_id)
        if member is None:
            raise _no_member(grant, meta, now, "create")
        if req.certification == "cancel":
            return _answer(_cancel(req, member, grant, meta, now), req, plan, now, member)
        appeal_of = _appealed(req, member, grant, meta, now) if req.certification == "appeal" else None
        new = prior_auth.NewRequest(
            member_id=member.profile.member_id, member_name=f"{member.profile.first_name} {member.profile.last_name}",
            requesting_provider_id=grant.provider_id,
            servicing_provider_id=req.servicing.key if req.servicing and req.servicing.key else grant.provider_id,
            service_lines=req.service_lines, diagnosis_codes=req.diagnosis_codes, service_from=req.service_from,
            service_to=req.service_to, urgency=req.urgency, clinical_notes=req.clinical_notes,
            submitted_by=API_CLIENT + grant.client_id, uploads=req.uploads, appeal_of=appeal_of,
            trace_number=req.trace_number)
        created, _ = prior_auth.create(new, claim_key, req.digest,
                                       lambda a: _entry("appeal" if appeal_of else "create", "submitted", a, grant,
                                                        meta, now), now)
    except prior_auth.KeyReused:
        raise FhirError(422, "duplicate", "This Bundle identifier was sent before with another Bundle: give each new "
                                          "request its own identifier, and resend a Bundle only unchanged.",
                        expression="Bundle.identifier") from None
    except prior_auth.NotAppealable:
        raise _not_appealable() from None
    return _answer(created, req, plan, now, member)


def _answer(a: Authorization, req: pas.PasRequest, plan: PlanProfile, now: datetime,
            member: Member | None = None) -> dict[str, Any]:
    member = member or repositories().members.get(a.member_id)
    return responses.response_bundle(a, member, req.bundle_identifier, insurer_name=plan.brand,
                                     claim_type=req.claim_type, trace_system=req.trace_system,
                                     request_url=req.claim_full_url, now=now)


def _not_appealable() -> FhirError:
    return FhirError(422, "business-rule", "Only a denial or a partial approval can be appealed, once: the request "
                                           "named is not one, or it has an appeal already.",
                     expression="Claim.extension[authorizationNumber]")


def _named(number: str, member: Member, grant: AccessGrant, now: datetime) -> Authorization | None:
    """The client's request for this member by its number: the portal's, the plan's or the trace number."""
    found = repositories().authorizations.get(number) if number.startswith("PA-") else None
    if found is None:
        found = next((a for a in _requests_of(member.profile.member_id, grant, now)
                      if number in _numbers(a)), None)
    if found is None or found.member_id != member.profile.member_id \
            or found.requesting_provider_id != grant.provider_id:
        return None
    return found


def _appealed(req: pas.PasRequest, member: Member, grant: AccessGrant, meta: RequestMeta, now: datetime) -> str:
    assert req.names is not None, "an appeal names its request"
    found = _named(req.names, member, grant, now)
    if found is None or found.status not in APPEALABLE or found.appeal_id is not None:
        raise _not_appealable()
    return found.authorization_id


def _cancel(req: pas.PasRequest, member: Member, grant: AccessGrant, meta: RequestMeta,
            now: datetime) -> Authorization:
    """Withdraw the named request while the plan has not decided it; a decided one is answered as it is."""
    assert req.names is not None, "a cancellation names its request"
    found = _named(req.names, member, grant, now)
    if found is None:
        raise FhirError(404, "not-found", "No request of this provider for this member has that number.",
                        expression="Claim.extension[authorizationNumber]")
    if found.status not in OPEN_AUTHORIZATION_STATUSES:
        return found
    try:
        return repositories().authorizations.move(
            found.authorization_id, found.status,
            Change(AuthorizationStatus.WITHDRAWN, Event(now, "withdrawn", "provider")),
            _entry("withdraw", "withdrawn", found, grant, meta, now))
    except StaleWrite:  # decided meanwhile
        current = repositories().authorizations.get(found.authorization_id)
        assert current is not None, "a request is never deleted"
        return current


def _requests_of(member_id: str, grant: AccessGrant, now: datetime) -> list[Authorization]:
    """The member's requests of the client's Provider ID, submitted in the last INQUIRY_YEARS, newest first."""
    first = (now - timedelta(days=365 * INQUIRY_YEARS)).date()
    found: list[Authorization] = []
    after = None
    while True:
        page = repositories().authorizations.of_member(member_id, first, now.date(), _PAGE, after)
        found += [a for a in page.items if a.requesting_provider_id == grant.provider_id]
        if page.after is None or len(found) >= MAX_INQUIRY_RESULTS * 4:
            return found
        after = page.after


def inquire(body: dict[str, Any], grant: AccessGrant, plan: PlanProfile, meta: RequestMeta,
            now: datetime) -> dict[str, Any]:
    req = pas.read_inquiry(body)
    _acting_for(req.requester, grant)
    member = find_member(req.birth_date, req.member_id)
    if member is None:
        raise _no_member(grant, meta, now, "inquire")
    matches = [a for a in _requests_of(member.profile.member_id, grant, now) if _matches(a, req)]
    matches = matches[:MAX_INQUIRY_RESULTS]
    audit_record("phi.authorization.inquire", "listed", meta, subject=API_CLIENT + grant.client_id, now=now,
                 detail={"provider_id": grant.provider_id, "client_id": grant.client_id,
                         "member_id": member.profile.member_id, "authorizations": [a.authorization_id
                                                                                   for a in matches]})
    return {"resourceType": "Parameters", "parameter": [
        {"name": "return", "resource": responses.response_bundle(
            a, member, req.bundle_identifier, insurer_name=plan.brand, inquiry=True, now=now)} for a in matches]}


def _numbers(a: Authorization) -> set[str]:
    """Every number a request is known by, as compared: the portal's, the plan's, the submitter's."""
    return {normal_id(n) for n in (a.authorization_id, a.payer_number, a.trace_number) if n}


def _matches(a: Authorization, req: pas.PasInquiry) -> bool:
    if req.number is not None and req.number not in _numbers(a):
        return False
    if req.codes and not req.codes & {line.code for line in a.service_lines}:
        return False
    if req.first_day is None or req.last_day is None:
        return True
    return a.service_to >= req.first_day and a.service_from <= req.last_day  # the service windows overlap
