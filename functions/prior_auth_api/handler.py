"""The Prior Authorization API (CMS-0057-F; Da Vinci PAS 2.2.1) for providers' systems:
`POST /fhir/Claim/$submit` and `POST /fhir/Claim/$inquire`, with a bearer token from POST /fhir/auth/token
carrying `system/Claim.c` (submit) or `system/ClaimResponse.rs` (inquire). Errors are OperationOutcome."""

from aws_lambda_powertools.event_handler import Response

from functions.prior_auth_api import logic
from functions.shared.core import clock
from functions.shared.core.fhir_http import FhirError, fhir_response, json_body, make_fhir_handler, make_fhir_resolver
from functions.shared.core.http import request_meta_of
from functions.shared.core.plans import current_plan
from functions.shared.services import backend_access

app = make_fhir_resolver()
MAX_BUNDLE_BYTES = 5_500_000  # attachments travel inside the Bundle; Lambda takes 6 MB
OPERATIONS = {"$submit": ("system/Claim.c", logic.submit), "$inquire": ("system/ClaimResponse.rs", logic.inquire)}


@app.post("/fhir/Claim/<operation>")
def claim_operation(operation: str) -> Response[str]:
    if operation not in OPERATIONS:  # the operation's name stands where a Claim's id would
        raise FhirError(404, "not-supported", f"Claim has no operation {operation[:64]}: see GET /fhir/metadata.")
    scope, run = OPERATIONS[operation]
    event, now = app.current_event, clock.now()
    grant = backend_access.granted(event.headers.get("authorization"), now, scope)
    body = json_body(event, MAX_BUNDLE_BYTES)
    return fhir_response(200, run(body, grant, current_plan(), request_meta_of(event.raw_event), now))


lambda_handler = make_fhir_handler(app)
