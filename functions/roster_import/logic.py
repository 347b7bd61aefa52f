"""Roster import: validate the whole file first, write it as a new roster version, then switch
lookups to that version in one conditional write. A bad file changes nothing; a crash part-way
leaves lookups on the old version; the same file imported twice changes nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger
from pydantic import BaseModel

from functions.shared.core import audit
from functions.shared.core.audit import SystemOrigin
from functions.shared.core.errors import Problem
from functions.shared.core.ids import normal_id
from functions.shared.core.plans import PlanProfile, current_plan
from functions.shared.core.roster import GROUP, PRACTITIONER, digits, words, zip5
from functions.shared.core.states import LinkType
from functions.shared.services.notify.lifecycle import link_ended
from functions.shared.services.notify.mail import send_mail
from functions.shared.store import repositories
from functions.shared.store.roster import ProviderView
from functions.shared.store.transactions import StaleWrite

COLUMNS = ("provider_id", "provider_type", "first_name", "last_name", "group_name", "tax_id",
           "address", "city", "state", "zip")
ROW_LIFETIME = timedelta(days=3650)  # a safety net only: superseded rows are deleted after the switch
MAX_ROWS = 200_000
_PROVIDER_ID = re.compile(r"^[A-Z0-9-]{3,20}$")
_STATE = re.compile(r"^[A-Z]{2}$")
_IMPORT_META = SystemOrigin("roster-import")
logger = Logger(child=True)


class RowError(BaseModel):
    line: int
    errors: list[str]


class ImportReport(BaseModel):
    source: str
    status: str  # applied | rejected | unchanged
    rows: int
    providers: int
    roster_version: int | None = None
    bad_rows: list[RowError] = []
    links_ended: int = 0  # links to Provider IDs this version drops (or moves to another Tax ID)
    notices_failed: int = 0  # their users whose notice mail could not be sent (logged, by account id)


@dataclass
class _Draft:
    provider_type: LinkType
    first_name: str | None
    last_name: str | None
    group_name: str | None
    tax_id: str
    zips: set[str] = field(default_factory=set)
    addresses: list[dict[str, str]] = field(default_factory=list)

    def identity(self) -> tuple[str, ...]:
        return (self.provider_type, words(self.first_name), words(self.last_name), words(self.group_name),
                self.tax_id)


def parse(text: str) -> tuple[dict[str, _Draft], list[RowError], int]:
    """Every provider in the file, or every reason a row is wrong (with its line number)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return {}, [RowError(line=1, errors=[f"missing column(s): {', '.join(missing)}"])], 0
    drafts: dict[str, _Draft] = {}
    bad: list[RowError] = []
    count = 0
    for count, row in enumerate(reader, start=1):
        line = count + 1
        if count > MAX_ROWS:
            bad.append(RowError(line=line, errors=[f"more than {MAX_ROWS} rows: split the file"]))
            break
        errors, provider_id, draft = _row(row)
        if not errors and provider_id in drafts and drafts[provider_id].identity() != draft.identity():
            errors.append("same provider_id as an earlier row with a different type, name or Tax ID")
        if errors:
            bad.append(RowError(line=line, errors=errors))
            continue
        kept = drafts.setdefault(provider_id, draft)
        if kept is not draft:  # another address of a provider already seen
            kept.zips |= draft.zips
            kept.addresses += draft.addresses
    return drafts, bad, count


def _row(row: dict[str, str | None]) -> tuple[list[str], str, _Draft]:
    value = {k: (row.get(k) or "").strip() for k in COLUMNS}
    errors = []
    provider_id = normal_id(value["provider_id"])
    if not _PROVIDER_ID.match(provider_id):
        errors.append("provider_id must be 3-20 letters, digits or dashes")
    kind = value["provider_type"].casefold()
    if kind not in (PRACTITIONER, GROUP):
        errors.append("provider_type must be Practitioner or Group")
    kind_value = LinkType(kind) if kind in (PRACTITIONER, GROUP) else PRACTITIONER
    if kind == PRACTITIONER and not (value["first_name"] and value["last_name"]):
        errors.append("a practitioner needs first_name and last_name")
    if kind == GROUP and not value["group_name"]:
        errors.append("a group needs group_name")
    tax_id = digits(value["tax_id"])
    if len(tax_id) != 9:
        errors.append("tax_id must have 9 digits")
    zip_code = zip5(value["zip"])
    if not zip_code:
        errors.append("zip must be a 5-digit ZIP or a ZIP+4")
    if not _STATE.match(value["state"].upper()):
        errors.append("state must be a 2-letter code")
    draft = _Draft(kind_value, value["first_name"] or None, value["last_name"] or None, value["group_name"] or None,
                   tax_id, {zip_code}, [{"address": value["address"], "city": value["city"],
                                         "state": value["state"].upper(), "zip": value["zip"]}])
    return errors, provider_id, draft


def import_roster(text: str, source: str, now: datetime, plan: PlanProfile | None = None) -> ImportReport:
    drafts, bad, rows = parse(text)
    if bad or not drafts:
        bad = bad or [RowError(line=1, errors=["the file has no providers"])]
        return ImportReport(source=source, status="rejected", rows=rows, providers=len(drafts), bad_rows=bad)
    roster = repositories().roster
    digest = hashlib.sha256(text.encode()).hexdigest()
    previous = roster.current_version()
    if roster.already_applied(digest):
        return ImportReport(source=source, status="unchanged", rows=rows, providers=len(drafts),
                            roster_version=previous)
    version = (previous or 0) + 1
    roster.write_version((ProviderView(provider_id=provider_id, roster_version=version, provider_type=d.provider_type,
                                       tax_id=d.tax_id, zips=frozenset(d.zips), first_name=d.first_name,
                                       last_name=d.last_name, group_name=d.group_name,
                                       addresses=tuple(d.addresses))
                          for provider_id, d in drafts.items()), now + ROW_LIFETIME)
    try:
        roster.switch_to(version, previous, source, now)
    except StaleWrite as exc:
        raise RuntimeError("another roster import finished first; import this file again") from exc
    roster.mark_applied(digest, version)
    ended = failed = 0
    gone: list[str] = []
    if previous is not None:
        gone = [p.provider_id for p in roster.providers_of(previous)
                if p.provider_id not in drafts or drafts[p.provider_id].tax_id != p.tax_id]
        ended, failed = end_links(gone, source, plan or current_plan(), now)
        roster.drop_version(previous, [*drafts, *(g for g in gone if g not in drafts)])
    return ImportReport(source=source, status="applied", rows=rows, providers=len(drafts), roster_version=version,
                        links_ended=ended, notices_failed=failed)


def end_links(provider_ids: list[str], source: str, plan: PlanProfile, now: datetime) -> tuple[int, int]:
    """End every link to these Provider IDs (no longer on the roster, or under another Tax ID), each with
    its audit record, and tell each user by mail. Returns (links ended, notices not sent)."""
    links = repositories().links
    ended = failed = 0
    for provider_id in provider_ids:
        for link in links.of_provider(provider_id):
            event = audit.audit_event("link.end", "roster_removed", _IMPORT_META, subject=link.account_id, now=now,
                                      detail={"provider_id": provider_id, "was": link.status, "source": source})
            if not links.end_for_roster(link.account_id, provider_id, now, event):
                continue  # closed already (or by a re-run)
            ended += 1
            try:  # the address the link was asked from (roster imports read no accounts)
                send_mail(link.requester_email, link_ended(plan, link.provider_name))
            except Problem:
                failed += 1
                logger.error("roster notice not sent", extra={"account_id": link.account_id})
        links.release_admin_claim(provider_id)
    return ended, failed
