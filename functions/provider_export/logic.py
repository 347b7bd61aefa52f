"""One Provider Access export: the matched members' Patient, Coverage, claims (ExplanationOfBenefit
without amounts) and prior authorizations (PDex Prior Authorization), one NDJSON file per type, split
at 4 MB so each file can be served through the API (a Lambda answer holds 6 MB).

Opt-outs are read again when the export runs: a member who opted out since the match is left out. A
delta export (`_since`) holds claims with service since then and authorizations submitted or decided
since then, and every member's Patient and Coverage (no change time is kept for those). Each member
costs one Query of its items, and one Query per page of its claim index and of its requests
(`by-member`), whoever the providers were. The job is checked between members, so a cancelled export
stops.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from functions.shared.core import clock
from functions.shared.core.audit import SystemOrigin
from functions.shared.services import fhir_views
from functions.shared.store import repositories
from functions.shared.store.audit import record as audit_record
from functions.shared.store.authorizations import Authorization
from functions.shared.store.claims import MEMBER_OWNER, ClaimSummary
from functions.shared.store.provider_access import ExportFile, ExportJob
from functions.shared.store.transactions import StaleWrite

FILE_LIMIT = 4 * 1024 * 1024
EARLIEST_SERVICE = date(2016, 1, 1)  # CMS-0057-F: data with a date of service from 2016-01-01
PAGE = 200
CHECK_EVERY = 50  # members between checks for a cancelled job (and progress updates)


class NdjsonFiles:
    """NDJSON files per resource type of one job, each at most FILE_LIMIT bytes."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.buffers: dict[str, io.BytesIO] = {}
        self.counts: dict[str, int] = {}
        self.parts: dict[str, int] = {}
        self.files: list[ExportFile] = []

    def add(self, resource: dict[str, Any]) -> None:
        kind = resource["resourceType"]
        line = json.dumps(resource, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        buffer = self.buffers.setdefault(kind, io.BytesIO())
        if buffer.tell() and buffer.tell() + len(line) > FILE_LIMIT:
            self._flush(kind)
            buffer = self.buffers[kind]
        buffer.write(line)
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def _flush(self, kind: str) -> None:
        buffer = self.buffers[kind]
        if not buffer.tell():
            return
        part = self.parts[kind] = self.parts.get(kind, 0) + 1
        name = f"{kind}-{part}.ndjson"
        repositories().export_files.put(self.job_id, name, buffer.getvalue())
        self.files.append(ExportFile(kind, name, self.counts[kind]))
        self.buffers[kind], self.counts[kind] = io.BytesIO(), 0

    def close(self) -> tuple[ExportFile, ...]:
        for kind in list(self.buffers):
            self._flush(kind)
        return tuple(self.files)


def _claims(member_id: str, first: date, last: date) -> Iterator[ClaimSummary]:
    after: str | None = None
    while True:
        page = repositories().claims.page(MEMBER_OWNER + member_id, first, last, PAGE, after)
        yield from page.items
        if page.after is None:
            return
        after = page.after


def _requests(member_id: str, first: date, last: date) -> Iterator[Authorization]:
    after: str | None = None
    while True:
        page = repositories().authorizations.of_member(member_id, first, last, PAGE, after)
        yield from page.items
        if page.after is None:
            return
        after = page.after


def run(job_id: str, now: datetime) -> str:
    access = repositories().provider_access
    job = access.job(job_id)
    if job is None or job.status not in ("accepted", "running"):
        return job.status if job else "missing"
    if job.status == "accepted":
        try:
            access.move_job(job_id, ("accepted",), "running")
        except StaleWrite:
            return "cancelled"
    group = access.group(job.group_id)
    members = list(group.member_ids) if group else []
    opted_out = access.opted_out(members)
    members = [m for m in members if m not in opted_out]
    files = NdjsonFiles(job_id)
    today = now.date()
    for n, member_id in enumerate(members):
        if n and n % CHECK_EVERY == 0:
            try:  # progress, written only while the job still runs: a cancelled one stops here
                access.move_job(job_id, ("running",), "running", done=n)
            except StaleWrite:
                return "cancelled"
        _member(job, member_id, today, files)
    output = files.close()
    try:
        access.move_job(job_id, ("running",), "complete", transaction_time=now, output=output, done=len(members))
    except StaleWrite:
        return "cancelled"
    audit_record("fhir.export", "complete", SystemOrigin("provider-export", job_id), subject=f"client:{job.client_id}",
                 now=now, detail={"provider_id": job.provider_id, "job_id": job_id, "members": members,
                                  "left_out_opted_out": len(opted_out),
                                  "resources": sum(f.count for f in output)})
    return "complete"


def _member(job: ExportJob, member_id: str, today: date, files: NdjsonFiles) -> None:
    member = repositories().members.get(member_id)
    if member is None:
        return
    if "Patient" in job.types:
        files.add(fhir_views.patient(member))
    if "Coverage" in job.types:
        for period in member.coverages:
            files.add(fhir_views.coverage(member_id, period))
    if "ExplanationOfBenefit" in job.types:
        for claim in _claims(member_id, EARLIEST_SERVICE, today):
            if job.since is not None and claim.service_to < job.since.date():
                continue  # a delta holds what changed since: claims with service since then
            files.add(fhir_views.claim_eob(claim, member, claim.service_to))
        for request in _requests(member_id, EARLIEST_SERVICE, today):
            if job.since is None or request.submitted_at >= job.since or (
                    request.decided_at is not None and request.decided_at >= job.since):
                files.add(fhir_views.prior_authorization(request, member))


def mark_failed(job_id: str) -> str:
    try:
        repositories().provider_access.move_job(job_id, ("accepted", "running"), "failed",
                                                error="the export failed after its retries")
    except StaleWrite:
        return "unchanged"
    audit_record("fhir.export", "failed", SystemOrigin("provider-export", job_id), subject=job_id,
                 now=clock.now())
    return "failed"
