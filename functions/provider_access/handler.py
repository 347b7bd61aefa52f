"""The Provider Access API (CMS-0057-F, Da Vinci PDex 2.2.0 Provider Access v2) for providers' systems:
the CapabilityStatement, `Group/$provider-member-match`, `Group/{id}/$davinci-data-export` and the Bulk
Data status and file routes. Every route but `metadata` needs a bearer token from POST /fhir/auth/token
(functions/shared/services/backend_access.py); errors are OperationOutcome."""

from aws_lambda_powertools.event_handler import Response

from functions.provider_access import logic
from functions.shared.core import clock
from functions.shared.core.fhir_http import FhirError, fhir_response, json_body, make_fhir_handler, make_fhir_resolver
from functions.shared.core.http import request_meta_of
from functions.shared.core.plans import current_plan
from functions.shared.services import backend_access
from functions.shared.store.provider_access import AccessGrant

app = make_fhir_resolver()
MEMBER_MATCH = "$provider-member-match"
DATA_EXPORT = "$davinci-data-export"


def _grant(scope: str) -> AccessGrant:
    return backend_access.granted(app.current_event.headers.get("authorization"), clock.now(), scope)


@app.get("/fhir/metadata")
def metadata() -> Response[str]:
    return fhir_response(200, logic.capability_statement())


@app.post("/fhir/Group/<group_id>")
def type_operation(group_id: str) -> Response[str]:
    if group_id != MEMBER_MATCH:  # the operation's name stands where a Group's id would
        raise FhirError(404, "not-supported", f"Group has no operation {group_id[:64]}: see GET /fhir/metadata.")
    grant = _grant("system/Group.rs")
    return fhir_response(200, logic.member_match(json_body(app.current_event), grant, current_plan(),
                                                 request_meta_of(app.current_event.raw_event), clock.now()))


@app.post("/fhir/Group/<group_id>/<operation>")
def instance_operation(group_id: str, operation: str) -> Response[str]:
    if operation != DATA_EXPORT:
        raise FhirError(404, "not-supported", f"Group has no operation {operation[:64]}: see GET /fhir/metadata.")
    if "respond-async" not in (app.current_event.headers.get("prefer") or ""):
        raise FhirError(400, "invalid", "An export runs asynchronously: send Prefer: respond-async.")
    grant = _grant("system/Group.rs")
    event = app.current_event
    body = json_body(event) if (event.body or "").strip() else None
    location = logic.start_export(group_id, dict(event.query_string_parameters or {}), body, grant,
                                  current_plan(), request_meta_of(event.raw_event), clock.now())
    return fhir_response(202, None, {"Content-Location": location})


@app.get("/fhir/Group/<group_id>")
def read_group(group_id: str) -> Response[str]:
    grant = _grant("system/Group.rs")
    return fhir_response(200, logic.read_group(group_id, grant, request_meta_of(app.current_event.raw_event),
                                               clock.now()))


@app.get("/fhir/bulkstatus/<job_id>")
def export_status(job_id: str) -> Response[str]:
    status, body, headers = logic.export_status(job_id, _grant("system/Group.rs"), clock.now())
    return fhir_response(status, body, headers, content_type="application/json")


@app.delete("/fhir/bulkstatus/<job_id>")
def cancel_export(job_id: str) -> Response[str]:
    logic.cancel_export(job_id, _grant("system/Group.rs"), request_meta_of(app.current_event.raw_event), clock.now())
    return fhir_response(202, None)


@app.get("/fhir/bulkfiles/<job_id>/<file_name>")
def download(job_id: str, file_name: str) -> Response[str]:
    content = logic.download(job_id, file_name, _grant("system/Group.rs"),
                             request_meta_of(app.current_event.raw_event), clock.now())
    return Response(200, "application/fhir+ndjson", content.decode("utf-8"))


lambda_handler = make_fhir_handler(app)
