"""The code systems and identifier systems the portal reads and writes in FHIR, named once: what the plans'
data import, the Provider Access API and the Prior Authorization API (Da Vinci PAS) share."""

from __future__ import annotations

import re

CPT = "http://www.ama-assn.org/go/cpt"
# HCPCS as Blue Button, the OID and Da Vinci PAS name it (PAS files CPT codes, HCPCS Level I, under it too)
HCPCS = ("https://bluebutton.cms.gov/resources/codesystem/hcpcs", "urn:oid:2.16.840.1.113883.6.285",
         "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets")
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
NPI = "http://hl7.org/fhir/sid/us-npi"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
PRIORITY = "http://terminology.hl7.org/CodeSystem/processpriority"
PROVIDER_ID = "urn:portal:provider-id"
AUTHORIZATION_NUMBER = "urn:portal:authorization-number"
# Da Vinci PAS: an item's decision (X12 306 review action) and what an X12 278 carries beside it
PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
REVIEW_ACTION = PAS + "extension-reviewAction"
REVIEW_ACTION_CODE = PAS + "extension-reviewActionCode"
X12_REVIEW_ACTION = "https://codesystem.x12.org/005010/306"
X12_CERTIFICATION_TYPE = "https://codesystem.x12.org/005010/1322"
X12_LEVEL_OF_SERVICE = "https://codesystem.x12.org/005010/1338"

_CPT_CODE = re.compile(r"^\d{4}[0-9FTU]$")
_HCPCS_CODE = re.compile(r"^[A-V]\d{4}$")


def procedure_code(system: str | None, code: str | None) -> str | None:
    """A CPT or HCPCS code as the portal keeps it, or None when the pair is neither."""
    code = (code or "").strip().upper()
    if system == CPT and _CPT_CODE.match(code):
        return code
    if system in HCPCS and (_HCPCS_CODE.match(code) or _CPT_CODE.match(code)):
        return code
    return None
