"""MFA API: factors (list, enrol, confirm, remove), challenge and verify, remembered devices, and the
signed device endpoints of push sign-in."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.mfa import logic, passkeys, push
from functions.mfa.models import (
    FIELD_MESSAGES,
    AddPasskeyRequest,
    ChallengeRequest,
    ChallengeSent,
    ConfirmRequest,
    DeviceList,
    EnrolmentStarted,
    EnrolRequest,
    FactorList,
    PasskeyAdded,
    PasskeyOptions,
    PasskeyOptionsRequest,
    PasskeySignInRequest,
    PasskeyVerifyRequest,
    PushEnrolled,
    PushEnrolRequest,
    PushPending,
    PushResponse,
    RemoveFactorRequest,
    RenamePasskeyRequest,
    VerifyRequest,
)
from functions.shared.core.context import Now, Origin, Plan, Who
from functions.shared.core.http import make_handler, make_resolver
from functions.shared.core.schemas import Message
from functions.shared.services.signin import SessionView, Started

app = make_resolver(field_messages=FIELD_MESSAGES)
FactorId = Annotated[str, Path(max_length=64)]


def _session(started: Started) -> Response[SessionView]:
    return Response(200, "application/json", started.view, cookies=started.cookies)


@app.get("/mfa/factors", summary="The account's sign-in methods and the kinds this plan offers")
def factors(who: Who, plan: Plan) -> FactorList:
    return logic.list_factors(who, plan)


@app.post("/mfa/factors", summary="Start adding a sign-in method")
def enrol(who: Who, plan: Plan, meta: Origin, now: Now, req: Annotated[EnrolRequest, Body()]) -> EnrolmentStarted:
    return logic.enrol(req, who, plan, meta, now)


@app.post("/mfa/factors/<factor_id>/confirm", summary="Confirm a new sign-in method with a code")
def confirm(who: Who, plan: Plan, meta: Origin, now: Now, factor_id: FactorId,
            req: Annotated[ConfirmRequest, Body()]) -> Response[SessionView]:
    return _session(logic.confirm(factor_id, req, who, plan, meta, now))


@app.delete("/mfa/factors/<factor_id>", summary="Remove a sign-in method (password required)")
def remove(who: Who, plan: Plan, meta: Origin, now: Now, factor_id: FactorId,
           req: Annotated[RemoveFactorRequest, Body()]) -> Message:
    logic.remove_factor(factor_id, req.password, who, plan, meta, now)
    return Message(message="The sign-in method was removed. Remembered devices were signed out.")


@app.post("/mfa/challenge", summary="Send a code (or a push) for the chosen sign-in method")
def challenge(who: Who, plan: Plan, now: Now, req: Annotated[ChallengeRequest, Body()]) -> ChallengeSent:
    return logic.challenge(req.factor_id, who, plan, now)


@app.post("/mfa/verify", summary="Verify the code (or the push answer) and finish signing in",
          responses={200: {"description": "Signed in: the full session, under a new session cookie",
                           "content": {"application/json": {"model": SessionView}}},
                     202: {"description": "Push still waiting",
                           "content": {"application/json": {"model": PushPending}}}})
def verify(who: Who, plan: Plan, meta: Origin, now: Now,
           req: Annotated[VerifyRequest, Body()]) -> Response[SessionView | PushPending]:
    started = logic.verify(req, who, plan, meta, now)
    if started is None:
        return Response(202, "application/json",
                        PushPending(status="pending", message="Waiting for the answer on your device."))
    return _session(started)


@app.get("/mfa/devices", summary="Devices that skip the extra check")
def devices(who: Who) -> DeviceList:
    return logic.list_devices(who)


@app.delete("/mfa/devices/<device_id>", summary="Forget a remembered device")
def forget_device(who: Who, meta: Origin, now: Now, device_id: Annotated[str, Path(max_length=64)]) -> Message:
    logic.forget_device(device_id, who, meta, now)
    return Message(message="The device will be asked for a code at its next sign-in.")


@app.post("/push/devices", summary="A device enrols its key for push sign-in (signed)")
def push_enrol(meta: Origin, now: Now, req: Annotated[PushEnrolRequest, Body()]) -> PushEnrolled:
    return push.enrol_device(req, meta, now)


@app.post("/push/responses", summary="A device approves or denies a sign-in (signed)")
def push_answer(meta: Origin, now: Now, req: Annotated[PushResponse, Body()]) -> Message:
    push.answer(req, meta, now)
    return Message(message="Answer recorded.")


@app.post("/mfa/passkeys/registration-options", summary="Start adding a passkey (password required)")
def passkey_registration_options(who: Who, plan: Plan, meta: Origin, now: Now,
                                 req: Annotated[PasskeyOptionsRequest, Body()]) -> PasskeyOptions:
    return passkeys.registration_options(req.password, who, plan, meta, now)


@app.post("/mfa/passkeys", summary="Add the passkey the browser created")
def add_passkey(who: Who, plan: Plan, meta: Origin, now: Now,
                req: Annotated[AddPasskeyRequest, Body()]) -> PasskeyAdded:
    return passkeys.add(req.credential, req.name, who, plan, meta, now)


@app.patch("/mfa/passkeys/<factor_id>", summary="Rename a passkey")
def rename_passkey(who: Who, plan: Plan, meta: Origin, now: Now, factor_id: FactorId,
                   req: Annotated[RenamePasskeyRequest, Body()]) -> Message:
    passkeys.rename(factor_id, req.name, who, plan, meta, now)
    return Message(message="The passkey was renamed.")


@app.post("/mfa/passkeys/challenge", summary="Ask for a passkey as the second step of signing in")
def passkey_challenge(who: Who, now: Now) -> PasskeyOptions:
    return passkeys.challenge(who, now)


@app.post("/mfa/passkeys/verify", summary="Check the passkey and finish signing in")
def passkey_verify(who: Who, plan: Plan, meta: Origin, now: Now,
                   req: Annotated[PasskeyVerifyRequest, Body()]) -> Response[SessionView]:
    return _session(passkeys.verify(req.credential, req.remember_device, who, plan, meta, now))


@app.post("/passkeys/signin-options", summary="Start signing in with a passkey alone (plans that allow it)")
def passkey_signin_options(plan: Plan, meta: Origin, now: Now) -> PasskeyOptions:
    return passkeys.signin_options(plan, meta, now)


@app.post("/passkeys/signin", summary="Sign in with a passkey alone (plans that allow it)")
def passkey_sign_in(plan: Plan, meta: Origin, now: Now,
                    req: Annotated[PasskeySignInRequest, Body()]) -> Response[SessionView]:
    return _session(passkeys.sign_in(req.credential, plan, meta, now))


lambda_handler = make_handler(app)
