"""What a malware-scan result does to an attached file (rules: functions/shared/core/malware_scan.py).

In an order that makes a second delivery of the same event (or a retry after a failure) do nothing more:
1. the event is checked (events.py); a malformed one is refused with an error, so Lambda retries it and the
   dead-letter queue keeps it for an operator (its alarm rings);
2. an infected file's object is deleted first (deleting twice is harmless), so no moment exists where the
   record says quarantined and the object is still current;
3. the file's state is written with its audit record in one conditional transaction: the same result twice
   changes nothing the second time;
4. for a refused file (quarantined, not scanned) the submitting office and the plan's utilization-management
   desk are mailed, once per file and state (the mail's delivery id is derived from them, so the sender
   delivers it once however often it is queued). Mails name the request and the file's number only: no
   member, no file name (a name can hold PHI).
A result for a file no request lists yet (the scan can beat the request's own write) is an error, so Lambda
tries again later.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from functions.attachment_scan.events import InvalidScanEvent, scan_report
from functions.shared.core import telemetry
from functions.shared.core.audit import SystemOrigin, audit_event
from functions.shared.core.config import settings
from functions.shared.core.malware_scan import OPERATOR_FAULTS, STATE_OF, FileState
from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import send_mail
from functions.shared.services.notify.templates import footer, simple
from functions.shared.store import repositories
from functions.shared.store.attachment_files import key_parts
from functions.shared.store.authorizations import API_CLIENT, IMPORTED, Authorization, FileNotListed

logger = Logger(child=True)
REFUSED = (FileState.QUARANTINED, FileState.NOT_SCANNED)
# A file no request lists this long after its scan was stored for a submission that was never recorded (a
# lost race, a refused appeal): every function that stores files has ended by then. It is removed, not
# retried; younger, its request may still be on its way, so the result is retried (then dead-lettered).
ORPHAN_AFTER = timedelta(minutes=15)


def record_result(event: Any, plan: PlanProfile, now: datetime) -> dict[str, str]:
    try:
        report = scan_report(event, settings().portal_data_bucket)
        parts = key_parts(report.key)
        if parts is None:
            raise InvalidScanEvent("the scanned object is not an attached file")
    except InvalidScanEvent as exc:
        telemetry.count("attachment_scan.refused")
        logger.error("scan result refused", extra={"reason": str(exc)})
        raise
    authorization_id, sha256 = parts
    state = STATE_OF[report.result]
    log = {"authorization_id": authorization_id, "scan_result": report.result.value, "event_id": report.event_id}
    if report.result in OPERATOR_FAULTS:  # the plan's role, key or scanner: the file is not to blame
        logger.error("GuardDuty could not scan an attached file", extra=log)
    if state == FileState.QUARANTINED:
        repositories().attachment_files.quarantine(authorization_id, sha256)
    found = repositories().authorizations.get(authorization_id)
    if found is None or not any(a.sha256 == sha256 for a in found.attachments):
        if report.time is not None and now - report.time > ORPHAN_AFTER:
            repositories().attachment_files.quarantine(authorization_id, sha256)
            logger.warning("file no request lists removed", extra=log)
            return {"state": "orphan_removed", "changed": "yes"}
        logger.warning("scan result for a file no request lists yet", extra=log)
        raise FileNotListed(authorization_id)
    entry = audit_event("authorization.attachment_scan", state.value, SystemOrigin("attachment-scan", report.event_id),
                        subject=found.submitted_by, now=now,
                        detail={"authorization_id": authorization_id, "sha256": sha256,
                                "attachments": [a.number for a in found.attachments if a.sha256 == sha256],
                                "scan_result": report.result.value, "threats": list(report.threats),
                                "version_id": report.version_id})
    changed = repositories().authorizations.record_scan(authorization_id, sha256, state, entry)
    logger.info("scan result recorded" if changed else "scan result changed nothing", extra=log)
    now_stored = repositories().authorizations.get(authorization_id)
    assert now_stored is not None, "a request is never deleted"
    files = [a for a in now_stored.attachments if a.sha256 == sha256 and a.scan == state]
    if state in REFUSED and files:
        _tell(plan, now_stored, [a.number for a in files], state, sha256)
    return {"state": state.value, "changed": "yes" if changed else "no"}


def _tell(plan: PlanProfile, found: Authorization, numbers: list[int], state: FileState, sha256: str) -> None:
    once = f"attachment-scan#{found.authorization_id}#{sha256}#{state.value}"
    which = ", ".join(str(n) for n in numbers)
    files = f"File {which}" if len(numbers) == 1 else f"Files {which}"
    why = ("the plan's malware scan found a threat in it. It was removed and cannot be downloaded"
           if state == FileState.QUARANTINED else
           "the plan's malware scan could not check it (for example, it is password-protected), so it cannot be "
           "used")
    link = f"{settings().portal_url}/authorizations.html?authorization={found.authorization_id}"
    if not (found.submitted_by == IMPORTED or found.submitted_by.startswith(API_CLIENT)):
        submitter = repositories().accounts.get(found.submitted_by)
        if submitter is not None:
            send_mail(submitter.email, simple(
                "attachment_refused", f"{plan.brand}: a file of authorization request {found.authorization_id} "
                                      "was refused",
                f"{files} sent with prior-authorization request {found.authorization_id} was refused: {why}.",
                f"If the plan still needs it, send a clean, readable copy with the request: {link}",
                footer(plan)), once_for=once)
    send_mail(plan.utilization_management_email, simple(
        "attachment_refused_desk", f"File refused on authorization request {found.authorization_id}",
        f"{files} of prior-authorization request {found.authorization_id} was refused: {why}.",
        "Do not rely on it when deciding the request; the submitter can send a clean copy with it."),
        once_for=once + "#desk")
