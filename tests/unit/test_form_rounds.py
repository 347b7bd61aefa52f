"""Every form's errors in one answer: the rules across fields (and the plan's) are said together with each
field's own, so nobody corrects a form in rounds; each in the step's own words."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from functions.admissions import models as admissions
from functions.claims.models import ClaimSearch
from functions.eligibility.models import EligibilityRequest
from functions.link_provider import models as linking
from functions.password_reset import models as reset
from functions.register import models as register
from functions.shared.core.forms import given_values
from functions.shared.core.http import FieldMessages, validation_problem
from functions.shared.core.plans import plan_profile

CMO = plan_profile("cmo")
STRONG = "Quiet-Harbor-77"


def answer(model: type[BaseModel], body: dict[str, Any],
           messages: FieldMessages | None = None) -> list[tuple[str, str]]:
    """The (field, message) pairs of the 422 the API gives for `body`, as http.py words them."""
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    problem = validation_problem(RequestValidationError(refused.value.errors()), messages)
    return [(e.field, e.message) for e in problem.errors]


def test_an_empty_eligibility_check_names_the_dates_and_the_member_at_once():
    assert answer(EligibilityRequest, {"acting_for": "G1000001"}) == [
        ("birth_date", "This field is required."), ("service_date", "This field is required."),
        ("member_id", "Enter the member ID, or the member's last and first name.")]
    # a last name alone: the first name is what is missing
    assert ("first_name", "Enter the member's first name too, or search by member ID.") in answer(
        EligibilityRequest, {"acting_for": "G1000001", "last_name": "Doe"})
    # the rule alone, once every field passes
    assert answer(EligibilityRequest, {"acting_for": "G1000001", "birth_date": "1984-03-12",
                                       "service_date": "2026-03-02"}) == [
        ("member_id", "Enter the member ID, or the member's last and first name.")]


def test_a_claim_search_says_the_dates_and_the_birth_date_with_a_malformed_member_id():
    fields = dict(answer(ClaimSearch, {"acting_for": "G1000001", "member_id": "M1!"}))
    assert set(fields) == {"member_id", "from_date", "to_date", "birth_date"}
    assert fields["birth_date"] == "Enter the member's date of birth with the member ID."
    both = answer(ClaimSearch, {"acting_for": "G1000001", "member_id": "M100001", "birth_date": "1984-03-12",
                                "provider_id": "P2000001", "from_date": "2026-01-01", "to_date": "2026-02-01"})
    assert both == [("provider_id", "Search by member or by Provider ID, not both.")]


def test_the_cmo_form_names_every_missing_field_the_mismatch_and_the_policy_at_once(monkeypatch):
    monkeypatch.setattr(register, "current_plan", lambda: CMO)
    body = {"email": "not-an-address", "password": "short", "first_name": "Jane", "last_name": "Doe",
            "confirm_password": "other"}
    errors = answer(register.RegistrationRequest, body, register.FIELD_MESSAGES)
    assert errors[0] == ("email", "Enter a valid email address, such as name@practice.com.")
    assert ("confirm_password", "The two passwords do not match.") in errors
    assert ("password", "Use at least 12 characters.") in errors
    assert {field for field, _ in errors} == {"email", "password", "confirm_password", "username", "display_name",
                                              "group_name", "telephone", "fax", "captcha"}
    assert ("captcha", "Solve the security code.") in errors


def test_registration_rules_of_a_form_whose_fields_pass_are_the_steps_to_apply():
    form = register.RegistrationRequest.model_validate(
        {"email": "office@group.example", "password": "short", "first_name": "Jane", "last_name": "Doe"})
    # the step spends the CAPTCHA first, then asks these (functions/register/logic.py)
    assert [e.field for e in register.registration_errors(given_values(dict(form)), CMO)][:7] == [
        "username", "display_name", "confirm_password", "group_name", "telephone", "fax", "captcha"]
    # an empty password is checked as one, not taken for none
    assert register.registration_errors({"email": "a@b.example"}, plan_profile("caresource"))


def test_a_link_names_the_type_s_names_with_the_other_fields():
    errors = answer(linking.LinkRequest, {"provider_type": "practitioner", "tax_id": "12-34567", "zip": "4321"},
                    linking.FIELD_MESSAGES)
    assert errors == [
        ("tax_id", "Enter the 9 digits of the Tax ID, such as 12-3456789."),
        ("provider_number", "Enter the Provider ID or provider number, as on your letters from the plan."),
        ("zip", "Enter a 5-digit ZIP code, or ZIP+4 such as 43017-1234."),
        ("first_name", "Enter the practitioner's first name."), ("last_name", "Enter the practitioner's last name.")]
    half = answer(linking.LinkRequest, {"provider_type": "group", "group_name": "Riverside", "tax_id": "123456789",
                                        "provider_number": "G1000001", "zip": "43215", "payment": {"number": "EFT-1"}},
                  linking.FIELD_MESSAGES)
    assert half == [("payment.amount", "Enter both the payment's number and its total, or leave both empty.")]
    # whatever a client sends as the type, the rules answer (never a 500)
    assert answer(linking.LinkRequest, {"provider_type": ["group"]}, linking.FIELD_MESSAGES)[0][0] == "provider_type"


def test_a_reset_says_the_mismatch_with_the_policy(monkeypatch):
    monkeypatch.setattr(reset, "current_plan", lambda: plan_profile("caresource"))
    errors = answer(reset.ResetCompletion, {"token": "short", "password": "weak", "confirm_password": "weaker"},
                    reset.FIELD_MESSAGES)
    assert errors[0][0] == "token" and ("confirm_password", "The two passwords do not match.") in errors
    assert ("password", "Use at least 12 characters.") in errors
    # once the link is read, the account's words too, and a confirmation left empty
    words = reset.reset_errors({"password": "Jane-Doe-2026!!"}, plan_profile("caresource").password_policy,
                               email="jane@clinic.example", context=frozenset({"jane", "doe"}))
    assert {e.field for e in words} == {"password", "confirm_password"}
    assert words[-1].message == "Type the new password again."
    assert reset.reset_errors({"password": STRONG, "confirm_password": STRONG},
                              plan_profile("caresource").password_policy) == []


def test_an_admission_without_its_time_is_told_what_to_enter():
    errors = dict(answer(admissions.AdmissionRequest, {"acting_for": "G1000001", "admitting_diagnosis": "J189"},
                         admissions.FIELD_MESSAGES))
    assert errors["admitted_at"] == "Enter the admit date and time."
    assert "admitting_diagnosis" not in errors


def test_icd10cm_codes_are_kept_dotted():
    from functions.shared.core.schemas import icd10cm_dotted

    request = {"acting_for": "G1000001", "member_id": "M100001", "birth_date": "1984-03-12",
               "facility_provider_id": "G1000001", "admitted_at": "2026-03-02T08:00:00-05:00",
               "admission_type": "inpatient"}
    for typed, kept in [("J189", "J18.9"), ("j18.9", "J18.9"), (" t360x1a ", "T36.0X1A"), ("I10", "I10"),
                        ("Z3A01", "Z3A.01")]:
        assert admissions.AdmissionRequest.model_validate({**request, "admitting_diagnosis": typed}
                                                          ).admitting_diagnosis == kept
        assert icd10cm_dotted(kept) == kept
