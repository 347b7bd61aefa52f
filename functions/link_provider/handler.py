"""Provider linking API: POST /links, GET /links, GET /portal/providers."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.link_provider import logic
from functions.link_provider.models import FIELD_MESSAGES, AccessibleProviders, LinkList, LinkRequest, LinkView
from functions.shared.core.context import Now, Origin, Plan, Who
from functions.shared.core.http import make_handler, make_resolver

app = make_resolver(field_messages=FIELD_MESSAGES)


@app.post("/links", summary="Link this account to a Provider ID (or ask its administrator for access)")
def request_link(who: Who, plan: Plan, meta: Origin, now: Now, req: Annotated[LinkRequest, Body()]) -> LinkView:
    return logic.request_link(req, who, plan, meta, now)


@app.get("/links", summary="This account's Provider IDs and the status of each request")
def my_links(who: Who) -> LinkList:
    return logic.my_links(who)


@app.get("/portal/providers", summary="The providers whose records this account may see")
def providers(who: Who, plan: Plan) -> AccessibleProviders:
    return logic.accessible_providers(who, plan)


lambda_handler = make_handler(app)
