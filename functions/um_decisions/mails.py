"""What the provider is told when the plan decides: that it did, and where to read it. No PHI: no
member, service or diagnosis in a mail, only the request's number."""

from __future__ import annotations

from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import Mail
from functions.shared.services.notify.templates import footer, simple


def decided(plan: PlanProfile, authorization_id: str, outcome_text: str, portal_url: str) -> Mail:
    return simple("authorization_decided", f"{plan.brand}: authorization request {authorization_id} {outcome_text}",
                  f"The plan's review of prior-authorization request {authorization_id} is done: {outcome_text}.",
                  f"Sign in to read the decision and its reason: {portal_url}/authorizations.html"
                  f"?authorization={authorization_id}", footer(plan))


def information_needed(plan: PlanProfile, authorization_id: str, portal_url: str) -> Mail:
    return simple("authorization_information_needed",
                  f"{plan.brand}: information needed for authorization request {authorization_id}",
                  f"To go on with prior-authorization request {authorization_id}, the plan needs more information.",
                  f"Sign in to see what is needed and send it: {portal_url}/authorizations.html"
                  f"?authorization={authorization_id}", footer(plan))
