"""The mails of the account lifecycle (sign-in, the scheduled jobs, provider-relations staff): why an
account is or will be deactivated and whom to call. No PHI; no link that signs anyone in."""

from __future__ import annotations

from datetime import date

from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import Mail
from functions.shared.services.notify.templates import simple


def _call(plan: PlanProfile) -> str:
    return f"To have it reactivated, call {plan.brand} Provider Relations at {plan.reactivation_phone}."


def inactivity_warning(plan: PlanProfile, deactivation_day: date) -> Mail:
    days = plan.inactivity_period.days
    return simple("inactivity_warning", f"Your {plan.portal_name} account will be deactivated soon",
                  f"You have not used the {plan.portal_name} for a while. Accounts without activity for "
                  f"{days} days are deactivated automatically.",
                  f"Sign in before {deactivation_day.strftime('%B %d, %Y')} to keep your account.",
                  f"If it is deactivated, call {plan.brand} Provider Relations at {plan.reactivation_phone} "
                  "to have it reactivated.")


def deactivated_for_inactivity(plan: PlanProfile) -> Mail:
    days = plan.inactivity_period.days
    return simple("deactivated_inactivity", f"Your {plan.portal_name} account was deactivated",
                  f"Your {plan.portal_name} account was deactivated because it was not used for {days} days.",
                  _call(plan), "Your links to Provider IDs are kept and come back with your account.")


def deactivated_by_staff(plan: PlanProfile) -> Mail:
    return simple("deactivated_staff", f"Your {plan.portal_name} account was deactivated",
                  f"{plan.brand} Provider Relations deactivated your {plan.portal_name} account.",
                  f"If you did not expect this, call {plan.brand} Provider Relations at {plan.reactivation_phone}.")


def how_to_reactivate(plan: PlanProfile) -> Mail:
    return simple("how_to_reactivate", f"Your {plan.portal_name} account is deactivated",
                  f"Someone just tried to sign in to your deactivated {plan.portal_name} account.",
                  _call(plan), "If it was not you, tell Provider Relations when you call.")


def reactivated(plan: PlanProfile, signin_url: str) -> Mail:
    return simple("reactivated", f"Your {plan.portal_name} account is active again",
                  f"{plan.brand} Provider Relations reactivated your {plan.portal_name} account.",
                  f"Sign in at {signin_url} with your password; you will also be asked for a verification "
                  "code, on every device.",
                  f"If you did not ask for this, call {plan.brand} Provider Relations at {plan.reactivation_phone}.")


def link_ended(plan: PlanProfile, provider_name: str) -> Mail:
    return simple("link_ended_roster", f"Your access to {provider_name} ended",
                  f"{provider_name} is no longer on the {plan.brand} provider roster under the details you "
                  f"were linked with, so your access to its records in the {plan.portal_name} ended.",
                  f"If this is a mistake, call {plan.brand} Provider Relations at {plan.reactivation_phone}.")
