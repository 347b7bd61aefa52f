"""The Provider Access rules: who is matched, what an export may hold, and who may see a job.

- `$provider-member-match` takes one `MemberBundle` per member (MemberPatient, CoverageToMatch and the
  provider's treatment attestation as Consent). A member matches on the exact identity the portal uses
  (member ID from the coverage's `subscriberId` or an `MB` identifier, date of birth, names), with coverage
  today, attributed to the client's Provider ID (functions/shared/services/attribution.py). A member who
  opted out is consent-constrained; every other miss (unknown, not covered, not attributed) is "no match",
  so the answer never tells a provider who is a member elsewhere. The matched Group lasts
  `provider_access_group_days`.
- An export belongs to the client that started it; anyone else (another client, another Provider ID)
  gets the same 404 as for a job that does not exist.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from functions.shared.core import audit
from functions.shared.core.code_systems import PAS
from functions.shared.core.fhir_http import FhirError
from functions.shared.core.http import RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.services import attribution, backend_access, fhir_views, member_identity, provider_export
from functions.shared.store import repositories
from functions.shared.store.audit import record as audit_record
from functions.shared.store.provider_access import AccessGrant, ExportJob, MemberGroup
from functions.shared.store.transactions import StaleWrite

MATCH_RESULT = "http://hl7.org/fhir/us/davinci-pdex/CodeSystem/PdexMultiMemberMatchResultCS"
PROVIDER_MATCH_GROUP = "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-provider-member-match"
PROVIDER_NO_MATCH_GROUP = "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-provider-member-no-match"
MEMBER_OPT_OUT_GROUP = "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-member-opt-out"
PAS_OPERATION = "http://hl7.org/fhir/us/davinci-pas/OperationDefinition/"
MAX_MEMBERS_PER_MATCH = 200
EXPORT_TYPES = ("provider-download", "provider-snapshot", "provider-delta")
EXPORTED_TYPES = ("Patient", "Coverage", "ExplanationOfBenefit")
POLL_INTERVAL = timedelta(seconds=2)  # a status poll sooner than this after the last one gets 429


def capability_statement() -> dict[str, Any]:
    base = backend_access.fhir_base()
    operation = "http://hl7.org/fhir/us/davinci-pdex/OperationDefinition/"
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": "2026-12-06", "kind": "instance",
        "fhirVersion": "4.0.1", "format": ["json"],
        "implementation": {"description": "Provider Access API (CMS-0057-F)", "url": base},
        "instantiates": ["http://hl7.org/fhir/us/davinci-pdex/CapabilityStatement/pdex-provider-access-server",
                         "http://hl7.org/fhir/us/davinci-pas/CapabilityStatement/IntermediaryCapabilities"],
        "rest": [{
            "mode": "server",
            "security": {
                "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                         "code": "SMART-on-FHIR"}]}],
                "description": "SMART Backend Services: private_key_jwt (RS384, ES384) at the token endpoint of "
                               f"{base}/.well-known/smart-configuration; scopes system/Group.rs, "
                               "system/Patient.rs, system/Coverage.rs, system/ExplanationOfBenefit.rs (Provider "
                               "Access); system/Claim.c (Claim/$submit) and system/ClaimResponse.rs "
                               "(Claim/$inquire) for prior authorization.",
            },
            "resource": [{
                "type": "Group", "interaction": [{"code": "read"}],
                "operation": [
                    {"name": "provider-member-match", "definition": operation + "provider-member-match"},
                    {"name": "davinci-data-export", "definition": operation + "davinci-data-export"},
                ],
            }, {
                "type": "Claim", "supportedProfile": [PAS + "profile-claim"],
                "operation": [
                    {"name": "submit", "definition": PAS_OPERATION + "Claim-submit"},
                    {"name": "inquire", "definition": PAS_OPERATION + "Claim-inquiry"},
                ],
            }],
        }],
    }


def _parts(parameter: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(p.get("name")): p.get("resource") or {} for p in parameter.get("part") or []
            if isinstance(p, dict)}


def _member_id(patient: dict[str, Any], coverage: dict[str, Any]) -> str | None:
    if isinstance(coverage.get("subscriberId"), str) and coverage["subscriberId"].strip():
        return str(coverage["subscriberId"]).strip().upper()
    for identifier in [*(coverage.get("identifier") or []), *(patient.get("identifier") or [])]:
        codes = {c.get("code") for c in ((identifier.get("type") or {}).get("coding") or [])}
        if "MB" in codes and str(identifier.get("value") or "").strip():
            return str(identifier["value"]).strip().upper()
    return None


def _birth_date(patient: dict[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(patient.get("birthDate")))
    except ValueError:
        return None


def member_match(body: dict[str, Any], grant: AccessGrant, plan: PlanProfile, meta: RequestMeta,
                 now: datetime) -> dict[str, Any]:
    if body.get("resourceType") != "Parameters":
        raise FhirError(400, "invalid", "Send a Parameters resource with one MemberBundle per member.")
    bundles = [p for p in body.get("parameter") or [] if isinstance(p, dict) and p.get("name") == "MemberBundle"]
    if not 1 <= len(bundles) <= MAX_MEMBERS_PER_MATCH:
        raise FhirError(422, "invalid", f"Send 1 to {MAX_MEMBERS_PER_MATCH} MemberBundle parameters.")
    scope = attribution.provider_scope(grant.provider_id)
    today = now.date()
    matched: list[tuple[str, dict[str, Any]]] = []
    unmatched: list[dict[str, Any]] = []
    for n, bundle in enumerate(bundles):
        parts = _parts(bundle)
        patient, coverage, consent = (parts.get("MemberPatient"), parts.get("CoverageToMatch"), parts.get("Consent"))
        if not patient or patient.get("resourceType") != "Patient" or not coverage or \
                coverage.get("resourceType") != "Coverage":
            raise FhirError(422, "required", f"MemberBundle {n + 1} needs MemberPatient (Patient) and "
                                             "CoverageToMatch (Coverage).")
        if not consent or consent.get("resourceType") != "Consent" or consent.get("status") != "active":
            raise FhirError(422, "required", f"MemberBundle {n + 1} needs the provider's treatment attestation "
                                             "(Consent, status active).")
        submitted = {**patient, "id": f"submitted-{n + 1}"}
        member_id, birth_date = _member_id(patient, coverage), _birth_date(patient)
        names = (patient.get("name") or [{}])[0] if isinstance(patient.get("name"), list) else {}
        family = str(names.get("family") or "") or None
        given = str((names.get("given") or [""])[0]) or None
        member = member_identity.find_member(birth_date, member_id, family, given) if birth_date and member_id \
            else None
        if member is None or not any(c.covers(today) for c in member.coverages) or \
                not attribution.attributed(member, scope, plan, today):
            unmatched.append(submitted)
            continue
        matched.append((member.profile.member_id, submitted))
    opted_out = repositories().provider_access.opted_out([m for m, _ in matched])
    group = MemberGroup(secrets.token_hex(16), grant.provider_id, grant.client_id,
                        tuple(dict.fromkeys(m for m, _ in matched if m not in opted_out)), now,
                        now + timedelta(days=plan.provider_access_group_days))
    entry = audit.audit_event("fhir.member_match", "matched", meta, subject=f"client:{grant.client_id}", now=now,
                              detail={"provider_id": grant.provider_id, "group_id": group.group_id,
                                      "members": list(group.member_ids), "no_match": len(unmatched),
                                      "opted_out": len(opted_out)})
    repositories().provider_access.put_group(group, entry)
    answer = [{"name": "MatchedMembers", "resource": _group(group)}]
    if unmatched:
        answer.append({"name": "NonMatchedMembers",
                       "resource": _other_group(grant, unmatched, "nomatch", PROVIDER_NO_MATCH_GROUP)})
    constrained = [submitted for m, submitted in matched if m in opted_out]
    if constrained:
        answer.append({"name": "ConsentConstrainedMembers",
                       "resource": _other_group(grant, constrained, "consentconstraint", MEMBER_OPT_OUT_GROUP)})
    return {"resourceType": "Parameters", "parameter": answer}


def _provider_identifier(provider_id: str) -> dict[str, str]:
    return {"system": fhir_views.PROVIDER_ID_SYSTEM, "value": provider_id}


def _group(group: MemberGroup) -> dict[str, Any]:
    code = {"coding": [{"system": MATCH_RESULT, "code": "match"}]}
    return {
        "resourceType": "Group", "id": group.group_id, "meta": {"profile": [PROVIDER_MATCH_GROUP]},
        "identifier": [_provider_identifier(group.provider_id)], "active": True, "type": "person", "actual": True,
        "code": code, "managingEntity": fhir_views.PAYER, "quantity": len(group.member_ids),
        "characteristic": [{"code": code, "valueReference": {"identifier": _provider_identifier(group.provider_id)},
                            "exclude": False, "period": {"start": fhir_views.instant(group.created_at),
                                                         "end": fhir_views.instant(group.valid_until)}}],
        "member": [{"entity": fhir_views.patient_reference(m)} for m in group.member_ids],
    }


def _other_group(grant: AccessGrant, submitted: list[dict[str, Any]], code: str, profile: str) -> dict[str, Any]:
    return {"resourceType": "Group", "id": secrets.token_hex(8), "meta": {"profile": [profile]},
            "contained": submitted, "identifier": [_provider_identifier(grant.provider_id)], "active": True,
            "type": "person", "actual": True, "code": {"coding": [{"system": MATCH_RESULT, "code": code}]},
            "managingEntity": fhir_views.PAYER, "quantity": len(submitted),
            "member": [{"entity": {"reference": f"#{p['id']}"}} for p in submitted]}


def _own_group(group_id: str, grant: AccessGrant, now: datetime) -> MemberGroup:
    group = repositories().provider_access.group(group_id[:64])
    if group is None or group.provider_id != grant.provider_id or group.valid_until <= now:
        raise FhirError(404, "not-found", "No such Group for this client: match the members again "
                                          "(a matched Group lasts a limited time).")
    return group


def read_group(group_id: str, grant: AccessGrant, meta: RequestMeta, now: datetime) -> dict[str, Any]:
    group = _own_group(group_id, grant, now)
    audit_record("fhir.group", "read", meta, subject=f"client:{grant.client_id}", now=now,
                 detail={"provider_id": grant.provider_id, "group_id": group.group_id,
                         "members": list(group.member_ids)})
    return _group(group)


def _export_parameters(query: dict[str, str], body: dict[str, Any] | None) -> dict[str, str]:
    given = dict(query)
    if body is not None:
        if body.get("resourceType") != "Parameters":
            raise FhirError(400, "invalid", "The export's body, when given, is a Parameters resource.")
        for p in body.get("parameter") or []:
            value = next((v for k, v in p.items() if k.startswith("value")), None)
            if isinstance(p, dict) and p.get("name") and value is not None:
                given[str(p["name"])] = str(value)
    return given


def start_export(group_id: str, query: dict[str, str], body: dict[str, Any] | None, grant: AccessGrant,
                 plan: PlanProfile, meta: RequestMeta, now: datetime) -> str:
    group = _own_group(group_id, grant, now)
    given = _export_parameters(query, body)
    unknown = sorted(set(given) - {"exportType", "_type", "_since", "_outputFormat"})
    if unknown:
        raise FhirError(400, "not-supported", f"Unsupported export parameter(s): {', '.join(unknown)}.")
    export_type = given.get("exportType", "provider-download")
    if export_type not in EXPORT_TYPES:
        raise FhirError(400, "invalid", f"exportType is one of {', '.join(EXPORT_TYPES)}.")
    if given.get("_outputFormat", "application/fhir+ndjson") not in ("application/fhir+ndjson", "ndjson",
                                                                      "application/ndjson"):
        raise FhirError(400, "not-supported", "The only _outputFormat is application/fhir+ndjson.")
    types = tuple(t.strip() for t in given.get("_type", "").split(",") if t.strip()) or EXPORTED_TYPES
    if set(types) - set(EXPORTED_TYPES):
        raise FhirError(400, "not-supported", f"_type lists types from {', '.join(EXPORTED_TYPES)} only.")
    missing = [t for t in types if f"system/{t}.rs" not in grant.scopes]
    if missing:
        raise FhirError(403, "forbidden", f"The access token does not carry system/{missing[0]}.rs.")
    since = None
    if export_type == "provider-delta" or "_since" in given:
        try:
            since = datetime.fromisoformat(given["_since"].replace("Z", "+00:00"))
        except (KeyError, ValueError):
            raise FhirError(400, "invalid", "provider-delta needs _since, an instant (2026-01-01T00:00:00Z).") \
                from None
        if since.tzinfo is None or since > now:
            raise FhirError(400, "invalid", "_since is an instant with a time zone, not in the future.")
    job = ExportJob(secrets.token_hex(16), group.group_id, grant.provider_id, grant.client_id, export_type, since,
                    types, f"{backend_access.fhir_base()}/Group/{group.group_id}/$davinci-data-export", "accepted",
                    now, now + timedelta(days=plan.provider_export_days))
    entry = audit.audit_event("fhir.export", "accepted", meta, subject=f"client:{grant.client_id}", now=now,
                              detail={"provider_id": grant.provider_id, "job_id": job.job_id,
                                      "group_id": group.group_id, "export_type": export_type,
                                      "types": ",".join(types)})
    repositories().provider_access.put_job(job, entry)
    if not provider_export.start(job.job_id):
        repositories().provider_access.move_job(job.job_id, ("accepted",), "failed", error="could not start")
        raise FhirError(503, "transient", "The export could not be started: try again shortly.",
                        {"Retry-After": "30"})
    return f"{backend_access.fhir_base()}/bulkstatus/{job.job_id}"


def _own_job(job_id: str, grant: AccessGrant, now: datetime) -> ExportJob:
    job = repositories().provider_access.job(job_id[:64])
    if job is None or job.client_id != grant.client_id or job.status == "cancelled" or job.valid_until <= now:
        raise FhirError(404, "not-found", "No such export for this client (an export's files are kept for a "
                                          "limited time; a cancelled export is gone).")
    return job


def export_status(job_id: str, grant: AccessGrant, now: datetime) -> tuple[int, dict[str, Any] | None,
                                                                              dict[str, str]]:
    job = _own_job(job_id, grant, now)
    if not repositories().provider_access.polled(job.job_id, now, now - POLL_INTERVAL):
        raise FhirError(429, "throttled", f"Poll at most every {POLL_INTERVAL.seconds} seconds.",
                        {"Retry-After": str(POLL_INTERVAL.seconds)})
    if job.status in ("accepted", "running"):
        return 202, None, {"X-Progress": f"{job.status}: {job.done} members exported",
                           "Retry-After": str(POLL_INTERVAL.seconds)}
    if job.status == "failed":
        raise FhirError(500, "exception", "The export failed; start a new one.")
    base = backend_access.fhir_base()
    manifest = {
        "transactionTime": fhir_views.instant(job.transaction_time or job.created_at), "request": job.request_url,
        "requiresAccessToken": True,
        "output": [{"type": f.type, "url": f"{base}/bulkfiles/{job.job_id}/{f.name}", "count": f.count}
                   for f in job.output],
        "error": [],
    }
    return 200, manifest, {"Expires": format_datetime(job.valid_until, usegmt=True)}


def cancel_export(job_id: str, grant: AccessGrant, meta: RequestMeta, now: datetime) -> None:
    job = _own_job(job_id, grant, now)
    try:
        repositories().provider_access.move_job(job.job_id, ("accepted", "running", "complete"), "cancelled")
    except StaleWrite:
        raise FhirError(404, "not-found", "No such export for this client.") from None
    audit_record("fhir.export", "cancelled", meta, subject=f"client:{grant.client_id}", now=now,
                 detail={"provider_id": grant.provider_id, "job_id": job.job_id})


def download(job_id: str, file_name: str, grant: AccessGrant, meta: RequestMeta, now: datetime) -> bytes:
    job = _own_job(job_id, grant, now)
    listed = next((f for f in job.output if f.name == file_name), None)
    if job.status != "complete" or listed is None:
        raise FhirError(404, "not-found", "No such file in this export.")
    content = repositories().export_files.get(job.job_id, listed.name)
    audit_record("fhir.export", "downloaded", meta, subject=f"client:{grant.client_id}", now=now,
                 detail={"provider_id": grant.provider_id, "job_id": job.job_id, "file": listed.name,
                         "resources": listed.count})
    return content
