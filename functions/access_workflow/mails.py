"""The mails of the access-approval workflow (only this step sends them)."""

from __future__ import annotations

from urllib.parse import quote

from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import Mail
from functions.shared.services.notify.templates import footer, quoted, simple


def access_requested(plan: PlanProfile, requester: str, provider: str, provider_id: str, portal_url: str,
                     days: int) -> Mail:
    # The requester's name is the only text here a stranger chose: quoted, and never a link.
    return simple("access_requested", f"{plan.brand}: a request to join {provider}",
                  f"{quoted(requester)} asked for access to {provider} in the {plan.portal_name}.",
                  f"As its administrator, approve or deny the request within {days} business days at "
                  f"{portal_url}/members.html?provider={quote(provider_id)} . Without a decision it expires.",
                  footer(plan))


def first_admin_to_verify(plan: PlanProfile, provider: str, provider_id: str, days: int) -> Mail:
    return simple("first_admin_to_verify", f"{plan.brand}: verify the first administrator of {provider_id}",
                  f"Someone asked to become the first administrator of {provider} ({provider_id}) in the "
                  f"{plan.portal_name} without proving a recent payment.",
                  "Verify them with the practice on the contact details the plan has on file, then approve or "
                  f"deny the request in the staff tool (GET /staff/providers/{provider_id}/links). Without a "
                  f"decision in {days} business days it expires.", footer(plan))


def access_granted(plan: PlanProfile, provider: str, portal_url: str) -> Mail:
    return simple("access_granted", f"{plan.brand}: you have access to {provider}",
                  f"Your access to {provider} in the {plan.portal_name} is ready.",
                  f"Sign in at {portal_url}/signin.html.", footer(plan))


def access_not_granted(plan: PlanProfile, provider: str, reason: str) -> Mail:
    return simple("access_not_granted", f"{plan.brand}: your request for {provider}",
                  f"Your request for access to {provider} was not granted: {reason}",
                  f"You may ask again from your account page, or call {plan.support_phone}.", footer(plan))


def agreement_needed(plan: PlanProfile, provider: str, portal_url: str) -> Mail:
    return simple("agreement_needed", f"{plan.brand}: accept the Provider Agreement",
                  f"To finish linking {provider}, read and accept the Provider Agreement at "
                  f"{portal_url}/agreement.html.", footer(plan))


def org_agreement_needed(plan: PlanProfile, provider: str, provider_id: str, portal_url: str) -> Mail:
    return simple("org_agreement_needed", f"{plan.brand}: organizational agreement for {provider}",
                  f"{provider} needs an organizational agreement, signed once per group by a supervisor, "
                  f"manager or owner, at {portal_url}/org-agreement.html?provider={quote(provider_id)} .",
                  plan.org_agreement_promise, footer(plan))
