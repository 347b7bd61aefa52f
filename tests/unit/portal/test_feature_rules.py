"""What each person may use per Provider ID: a member with the billing preset checks eligibility and
claims but cannot open or send prior authorizations or see admissions; an administrator gives them
authorizations and it works at once; sending implies viewing; administrators have everything; the
change is audited and mailed; only an administrator (or staff) changes it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from functions.authorizations import logic as authorizations
from functions.authorizations.models import AuthorizationRequest, AuthorizationSearch
from functions.eligibility.logic import check
from functions.eligibility.models import EligibilityRequest
from functions.shared.core.context import Ask
from functions.shared.core.errors import Problem
from functions.shared.core.states import Feature, LinkRole
from functions.shared.services import access, member_features
from functions.shared.services.member_features import FeatureChange, FeaturesChange, PresetChange
from tests.unit.access.given import META, NOW, caller
from tests.unit.portal.conftest import PLAN, TODAY

JANE = {"member_id": "M100001", "birth_date": date(1984, 3, 12)}
REQUEST = {"acting_for": "G1000001", **JANE, "requesting_provider_id": "G1000001",
           "servicing_provider_id": "P2000001", "service_lines": [{"code": "73721", "units": 1}],
           "diagnosis_codes": ["M25.561"], "service_from": TODAY, "service_to": TODAY, "urgency": "standard"}


@pytest.fixture
def billing(office, monkeypatch):
    """`office` (a member of G1000001) with the billing preset, set by an administrator; mails recorded."""
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(member_features, "send_mail", lambda to, mail: sent.append((to, mail.subject)))
    office.features_mail = sent
    member_features.change("G1000001", "office", PresetChange(preset="billing"), "admin-1", META, NOW, PLAN)
    return office


def ask() -> Ask:
    return Ask(caller("office"), PLAN, META, NOW)


def refused(call, *args) -> Problem:
    with pytest.raises(Problem) as caught:
        call(*args)
    return caught.value


def test_a_billing_member_checks_eligibility_but_not_authorizations(billing):
    result = check(EligibilityRequest(acting_for="G1000001", service_date=TODAY, **JANE), caller("office"), PLAN,
                   META, NOW)
    assert result.status == "covered"
    search = AuthorizationSearch(acting_for="G1000001", provider_id="G1000001", from_date=TODAY, to_date=TODAY)
    problem = refused(authorizations.search, search, ask())
    assert (problem.status, problem.slug) == (403, "feature-not-granted")
    assert "viewing prior authorizations" in problem.title and "administrator" in problem.detail
    assert refused(authorizations.submit, AuthorizationRequest(**REQUEST), "key-0001", ask()).slug == \
        "feature-not-granted"
    assert billing.features_mail == [("office@clinic.example", "CareSource: your access to G1000001 changed")]
    (audited,) = [e for e in billing.audit.entries if e.action == "link.features"]
    assert audited.detail["features"] == ["eligibility", "claims"] and audited.detail["by"] == "admin-1"


def test_sending_granted_by_an_administrator_works_at_once_and_implies_viewing(billing):
    member_features.change("G1000001", "office", FeaturesChange(features=[Feature.ELIGIBILITY,
                                                                         Feature.AUTHORIZATIONS_SUBMIT]),
                           "admin-1", META, NOW, PLAN)
    link = billing.links.get("office", "G1000001")
    assert link.features == (Feature.ELIGIBILITY, Feature.AUTHORIZATIONS_VIEW, Feature.AUTHORIZATIONS_SUBMIT)
    view, created = authorizations.submit(AuthorizationRequest(**REQUEST), "key-0001", ask())
    assert created and view.status == "pending"
    assert authorizations.open_request(view.authorization_id, "G1000001", ask()).authorization_id == \
        view.authorization_id


def test_defaults_and_administrators():
    from functions.shared.core.states import LinkStatus
    from functions.shared.store.links import LinkView
    from tests.unit.access.given import NOW as T

    base = dict(account_id="a", provider_id="G1000001", link_type="group", tax_id="1", provider_name="G",
                requester_name="A", requester_email="a@x.example", requested_at=T, status=LinkStatus.ACTIVE)
    member = LinkView(**base, role=LinkRole.MEMBER)
    assert access.features_of(member) == frozenset(Feature)  # never set: a standard user's
    assert access.features_of(LinkView(**base, role=LinkRole.MEMBER, features=())) == frozenset()
    assert access.features_of(LinkView(**base, role=LinkRole.ADMIN, features=())) == frozenset(Feature)
    pending = LinkView(**{**base, "status": LinkStatus.PENDING_ADMIN}, role=LinkRole.MEMBER)
    assert access.features_of(pending) == frozenset()


def test_a_preset_or_features_not_both_and_administrators_are_not_narrowed(office):
    from pydantic import TypeAdapter, ValidationError

    with pytest.raises(ValidationError):  # the schema takes one or the other
        TypeAdapter(FeatureChange).validate_python({"preset": "billing", "features": ["claims"]})
    with pytest.raises(ValidationError):
        TypeAdapter(FeatureChange).validate_python({})
    office.links.links[("office", "G1000001")] = replace(office.links.get("office", "G1000001"), role=LinkRole.ADMIN)
    assert refused(member_features.change, "G1000001", "office", PresetChange(preset="billing"), "x", META, NOW,
                   PLAN).slug == "administrator-has-all"
