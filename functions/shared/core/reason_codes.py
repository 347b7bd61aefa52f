"""Claim adjustment reason codes (CARC) and remittance advice remark codes (RARC), in plain language.

The X12 code lists are long; these are the codes the plan's adjudication uses. A code the portal
does not know is still shown, with a pointer to the published list, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

CARC = "CARC"
RARC = "RARC"

_CARC: dict[str, str] = {
    "1": "Deductible amount: the member pays this part until the deductible is met.",
    "2": "Coinsurance amount: the member's share of the cost.",
    "3": "Co-payment amount: the member's fixed share for the visit.",
    "4": "The procedure code is inconsistent with the modifier used, or a required modifier is missing.",
    "5": "The procedure code or bill type is inconsistent with the place of service.",
    "11": "The diagnosis is inconsistent with the procedure.",
    "16": "The claim lacks information or has submission or billing errors needed to decide it.",
    "18": "Exact duplicate of a claim or service already received.",
    "22": "This care may be covered by another payer (coordination of benefits).",
    "23": "The impact of a prior payer's adjudication, including payments and adjustments.",
    "26": "Expenses incurred before coverage began.",
    "27": "Expenses incurred after coverage ended.",
    "29": "The time limit for filing has expired.",
    "45": "The charge exceeds the fee schedule or maximum allowable amount for this provider.",
    "50": "Not deemed a medical necessity by the payer.",
    "96": "Non-covered charge.",
    "97": "The benefit for this service is included in the payment for another service already adjudicated.",
    "109": "Not covered by this payer: send the claim to the correct payer.",
    "119": "The benefit maximum for this period or occurrence has been reached.",
    "151": "The payer deems the information submitted does not support this many or this frequency of services.",
    "167": "This diagnosis is not covered.",
    "197": "Precertification, authorization or notification was absent.",
    "204": "This service, equipment or drug is not covered under the member's current benefit plan.",
    "242": "Services not provided by network or primary care providers.",
    "252": "An attachment or other documentation is required to adjudicate this claim.",
    "253": "Sequestration: reduction of federal payment.",
}

_RARC: dict[str, str] = {
    "M15": "Separately billed services or tests have been bundled, as they are considered part of the same "
           "procedure.",
    "M76": "Missing, incomplete or invalid diagnosis or condition.",
    "MA04": "Secondary payment cannot be considered without the identity of or payment information from the "
            "primary payer.",
    "MA130": "The claim has missing or invalid information: correct it and submit it as a new claim.",
    "N4": "Missing, incomplete or invalid prior insurance carrier explanation of benefits.",
    "N30": "The member is not eligible for this service under the plan.",
    "N54": "The claim information is inconsistent with pre-certified or authorized services.",
    "N130": "Consult the plan's benefit documents or guidelines for information about restrictions for this "
            "service.",
    "N290": "Missing, incomplete or invalid rendering provider primary identifier.",
    "N362": "The number of days or units of service exceeds the acceptable maximum.",
    "N381": "Consult the contracted fee schedule or agreement for restrictions, billing or payment information.",
    "N657": "This should be billed with the appropriate code for these services.",
}

_LISTS = {CARC: (_CARC, "https://x12.org/codes/claim-adjustment-reason-codes"),
          RARC: (_RARC, "https://x12.org/codes/remittance-advice-remark-codes")}


@dataclass(frozen=True)
class ReasonCode:
    """A code as shown to the user: 'CARC 45' and what it means."""

    kind: str
    code: str
    meaning: str


def parse(stored: str) -> tuple[str, str]:
    """'CARC:45' -> ('CARC', '45')."""
    kind, _, code = stored.partition(":")
    if kind not in _LISTS or not code:
        raise ValueError(f"not a reason code: {stored!r}")
    return kind, code


def explain(stored: str) -> ReasonCode:
    kind, code = parse(stored)
    known, published = _LISTS[kind]
    meaning = known.get(code) or f"See the published {kind} list ({published}) for this code."
    return ReasonCode(kind=kind, code=code, meaning=meaning)


def is_known(kind: str, code: str) -> bool:
    return kind in _LISTS and code in _LISTS[kind][0]


def system_of(kind: str) -> str:
    """The FHIR code system URL of a list (what the plan's extracts use)."""
    return _LISTS[kind][1]


def kind_of_system(system: str) -> str | None:
    return next((kind for kind, (_, url) in _LISTS.items() if url == system), None)
