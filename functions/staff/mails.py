"""The mails of provider relations' decisions on a Provider ID's administrators (only this step sends them)."""

from __future__ import annotations

from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import Mail
from functions.shared.services.notify.templates import footer, simple


def made_administrator(plan: PlanProfile, provider: str, portal_url: str) -> Mail:
    return simple("made_administrator", f"{plan.brand}: you are an administrator of {provider}",
                  f"Provider relations made you an administrator of {provider} in the {plan.portal_name}.",
                  f"You decide who else may act for it, at {portal_url}/access.html.", footer(plan))


def no_longer_administrator(plan: PlanProfile, provider: str) -> Mail:
    return simple("no_longer_administrator", f"{plan.brand}: you are no longer an administrator of {provider}",
                  f"Provider relations moved the administration of {provider} to someone else. You keep your "
                  "access as a member.", f"Questions: call {plan.support_phone}.", footer(plan))


def administrator_removed(plan: PlanProfile, provider: str) -> Mail:
    return simple("administrator_removed", f"{plan.brand}: your access to {provider} was removed",
                  f"Provider relations removed you as administrator of {provider}; your account no longer has "
                  "access to it.", f"Questions: call {plan.support_phone}.", footer(plan))
