"""Provider linking API: POST /links, GET /links, GET /portal/providers."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.link_provider import logic
from functions.link_provider.models import FIELD_MESSAGES, AccessibleProviders, LinkList, LinkRequest, LinkView
from functions.shared import clock
from functions.shared.http import caller, make_handler, make_resolver, request_meta
from functions.shared.plans import current_plan

app = make_resolver(field_messages=FIELD_MESSAGES)


@app.post("/links", summary="Link this account to a Provider ID (or ask its administrator for access)")
def request_link(req: Annotated[LinkRequest, Body()]) -> LinkView:
    return logic.request_link(req, caller(app), current_plan(), request_meta(app), clock.now())


@app.get("/links", summary="This account's Provider IDs and the status of each request")
def my_links() -> LinkList:
    return logic.my_links(caller(app))


@app.get("/portal/providers", summary="The providers whose records this account may see")
def providers() -> AccessibleProviders:
    return logic.accessible_providers(caller(app), current_plan())


lambda_handler = make_handler(app)
