"""What a route is given about its request, injected by Powertools `Depends`: who signed in, the plan, where
the request came from, and the time. A route declares what it needs (`who: Who`, `ask: Asked`) and passes
it on to its rules; tests and tools replace one of them for every route with `app.dependency_overrides`.

A dependency's own error (an ended session) reaches the central error map in functions/shared/core/http.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.request import Request

from functions.shared.core import clock
from functions.shared.core.errors import Problem
from functions.shared.core.http import Caller, RequestMeta, caller_of, request_meta_of
from functions.shared.core.plans import PlanProfile, current_plan


def signed_in(request: Request) -> Caller:
    """The account the request authorizer admitted (401 if there is none)."""
    return caller_of(request.resolved_event.raw_event)


def origin(request: Request) -> RequestMeta:
    """The request's id, the client's address and user agent, as audited."""
    return request_meta_of(request.resolved_event.raw_event)


def plan() -> PlanProfile:
    return current_plan()


def now() -> datetime:
    return clock.now()


def staff_member(request: Request) -> str:
    """The IAM principal that signed a staff request (API Gateway's AWS_IAM authorization passed it)."""
    arn = (request.resolved_event.raw_event.get("requestContext", {}).get("identity") or {}).get("userArn")
    if not arn:
        raise Problem(403, "staff-only", "Staff only", "Sign the request with the plan's staff credentials.")
    return str(arn)


@dataclass(frozen=True)
class Ask:
    """One request of a signed-in user: who, under which plan, from where, when."""

    who: Caller
    plan: PlanProfile
    meta: RequestMeta
    now: datetime


Who = Annotated[Caller, Depends(signed_in)]
Origin = Annotated[RequestMeta, Depends(origin)]
Plan = Annotated[PlanProfile, Depends(plan)]
Now = Annotated[datetime, Depends(now)]
Staff = Annotated[str, Depends(staff_member)]  # staff routes: who signed the request


def asked(who: Who, plan: Plan, meta: Origin, now: Now) -> Ask:
    return Ask(who, plan, meta, now)


Asked = Annotated[Ask, Depends(asked)]
