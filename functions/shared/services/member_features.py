"""What each member of a Provider ID may use: presets for kinds of job, the change an administrator (or
staff) makes, audited and mailed to the person (no PHI in the mail). The rule that enforces it on every
portal step is functions/shared/services/access.py."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.core import audit
from functions.shared.core.errors import Problem
from functions.shared.core.http import RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import Feature, LinkRole
from functions.shared.services import access
from functions.shared.services.notify.mail import send_mail
from functions.shared.services.notify.templates import footer, simple
from functions.shared.store import repositories
from functions.shared.store.links import LinkView
from functions.shared.store.transactions import StaleWrite


class PresetChange(BaseModel):
    """A preset for a kind of job: standard (everything but managing people), billing, clinical."""

    model_config = ConfigDict(extra="forbid")

    preset: Literal["standard", "billing", "clinical"]


class FeaturesChange(BaseModel):
    """The features one by one (sending implies viewing: it is added)."""

    model_config = ConfigDict(extra="forbid")

    features: list[Feature] = Field(max_length=len(Feature))


FeatureChange = PresetChange | FeaturesChange  # one or the other, as the schema says (oneOf)


def shown(link: LinkView) -> tuple[Feature, ...]:
    """What a person may use, or will once their request is approved."""
    if link.role == LinkRole.ADMIN:
        return access.ALL_FEATURES
    return access.normal_features(link.features if link.features is not None else access.FEATURE_PRESETS["standard"])


def wanted(req: FeatureChange) -> tuple[Feature, ...]:
    return access.normal_features(access.FEATURE_PRESETS[req.preset] if isinstance(req, PresetChange)
                                  else req.features)


def change(provider_id: str, account_id: str, req: FeatureChange, by: str, meta: RequestMeta, now: datetime,
           plan: PlanProfile, *, staff: bool = False) -> LinkView:
    features = wanted(req)
    member = repositories().links.get(account_id, provider_id)
    if member is None:
        raise Problem(404, "member-not-found", "No such member or request", "Reload the list.")
    if member.role == LinkRole.ADMIN:
        raise Problem(409, "administrator-has-all", "Administrators have every feature",
                      "An administrator who should have less steps down to a member first.")
    try:
        changed = repositories().links.set_features(account_id, provider_id, features, audit.audit_event(
            "link.features", "changed", meta, subject=account_id, now=now,
            detail={"provider_id": provider_id, "by": by, "staff": staff, "features": [f.value for f in features]}))
    except StaleWrite:
        raise Problem(409, "not-a-member", "This person is not a member of the Provider ID",
                      "Reload the list: they may have been removed.") from None
    granted = ", ".join(access.FEATURE_NAMES[f] for f in features) or "nothing yet"
    send_mail(changed.requester_email, simple(
        "features_changed", f"{plan.brand}: your access to {provider_id} changed",
        f"An administrator of Provider ID {provider_id} changed what you may use in the portal for it: {granted}.",
        "Ask an administrator of this Provider ID if you need more.", footer(plan)))
    return changed
