"""Provider relations reactivate an account (after a call from its user) or deactivate one on request,
always with a reason that goes into the audit record; the user is told by mail."""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger

from functions.shared.core import audit
from functions.shared.core.errors import Problem
from functions.shared.core.http import RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify import lifecycle as mails
from functions.shared.services.notify.mail import Mail, send_mail
from functions.shared.store import repositories
from functions.shared.store.accounts import AccountView
from functions.shared.store.transactions import StaleWrite
from functions.staff_accounts.models import AccountDecision

logger = Logger(child=True)


def reactivate(req: AccountDecision, staff: str, plan: PlanProfile, meta: RequestMeta, portal_url: str,
               now: datetime) -> str:
    """deactivated -> active: the inactivity clock restarts and no remembered device survives, so the
    next sign-in asks for the password and MFA."""
    account = _account(req.account)
    event = audit.audit_event("account.reactivate", "reactivated", meta, subject=account.account_id, now=now,
                              detail={"by": staff, "reason": req.reason})
    try:
        repositories().lifecycle.reactivate(account.account_id, now, event)
    except StaleWrite:
        raise Problem(409, "account-not-deactivated", "This account is not deactivated",
                      "Only a deactivated account can be reactivated.") from None
    return "Account reactivated. " + _tell(account, mails.reactivated(plan, f"{portal_url.rstrip('/')}/signin.html"))


def deactivate(req: AccountDecision, staff: str, plan: PlanProfile, meta: RequestMeta, now: datetime) -> str:
    """active -> deactivated at once: every session ends and every remembered device is forgotten."""
    account = _account(req.account)
    event = audit.audit_event("account.deactivate", "staff", meta, subject=account.account_id, now=now,
                              detail={"by": staff, "reason": req.reason})
    try:
        revoked = repositories().lifecycle.deactivate(account.account_id, None, now, event)
    except StaleWrite:
        raise Problem(409, "account-not-active", "This account is not active",
                      "It is deactivated already, or its registration was never activated.") from None
    return f"Account deactivated; {revoked} session(s) and device(s) revoked. " + _tell(
        account, mails.deactivated_by_staff(plan))


def _account(login: str) -> AccountView:
    account = repositories().accounts.find_by_login(login.casefold(), by_email=True, by_username=True)
    if account is None:
        raise Problem(404, "account-not-found", "No such account", "Check the email or user name the caller gave.")
    return account


def _tell(account: AccountView, mail: Mail) -> str:
    """The change stands whether or not the mail goes out; staff are told which it was."""
    try:
        send_mail(account.email, mail)
    except Problem:
        logger.error("lifecycle mail not sent", extra={"account_id": account.account_id, "mail_kind": mail.kind})
        return "The user could not be mailed just now: tell them by phone."
    return "The user was mailed."
