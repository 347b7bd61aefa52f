"""Request and response schemas of multi-factor authentication."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.core.schemas import PlainText
from functions.shared.core.states import FactorKind
from functions.shared.services.signin import FactorView

# This step's wording for its fields' validation errors (functions/shared/core/http.py FieldMessages).
FIELD_MESSAGES = {"code": {"string_pattern_mismatch": "Enter the 6 digits of the code."}}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EnrolRequest(_Strict):
    # JSON Schema states the rule logic.enrol enforces: a mobile number is required for kind=sms.
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"kind": {"const": "sms"}}, "required": ["kind"]},
        "then": {"properties": {"phone": {"type": "string", "minLength": 1}}, "required": ["phone"]},
    })

    kind: FactorKind
    phone: str | None = Field(default=None, max_length=32, description="Mobile number, required for kind=sms")
    password: str | None = Field(default=None, min_length=1, max_length=1024,
                                 description="Your password: needed to add a sign-in method once you have one, "
                                             "unless you signed in within the last few minutes")


class EnrolmentStarted(BaseModel):
    factor_id: str
    kind: FactorKind
    otpauth_uri: str | None = None
    qr_svg: str | None = Field(default=None, description="QR code of otpauth_uri, as an SVG data URI")
    secret: str | None = Field(default=None, description="The seed, for typing into the app by hand")
    sent_to: str | None = None
    enrol_code: str | None = Field(default=None, description="Push: the code the device enrols with")


class ConfirmRequest(_Strict):
    code: str | None = Field(default=None, pattern=r"^\d{6}$",
                             description="The 6-digit code; required to confirm every kind but push")
    remember_device: bool = False


class ChallengeRequest(_Strict):
    factor_id: str = Field(max_length=64)


class ChallengeSent(BaseModel):
    factor_id: str
    kind: FactorKind
    sent_to: str | None = None
    push_number: str | None = Field(default=None, description="Push: the number to match on the device")
    valid_until: datetime


class VerifyRequest(_Strict):
    factor_id: str = Field(max_length=64)
    code: str | None = Field(default=None, pattern=r"^\d{6}$",
                             description="The 6-digit code; required for every kind of factor but push "
                                         "(for push, repeat the request until the device has answered)")
    remember_device: bool = False


class PushPending(BaseModel):
    status: Literal["pending"]
    message: str


class RemoveFactorRequest(_Strict):
    password: str = Field(min_length=1, max_length=1024, description="Your password, to confirm it is you")


class FactorList(BaseModel):
    factors: list[FactorView]
    offered: list[str]


class DeviceView(BaseModel):
    device_id: str
    label: str
    created_at: datetime
    valid_until: datetime


class DeviceList(BaseModel):
    devices: list[DeviceView]


class PushEnrolRequest(_Strict):
    enrol_code: str = Field(min_length=16, max_length=128)
    public_key: str = Field(min_length=40, max_length=64, description="Ed25519 public key, base64")
    device_name: Annotated[str, Field(min_length=1, max_length=64), PlainText]
    push_token: str = Field(min_length=1, max_length=512, description="The device's push-service token")
    signature: str = Field(max_length=128, description="Signature of the enrol code with the device key")


class PushEnrolled(BaseModel):
    factor_id: str


class PushResponse(_Strict):
    challenge_ref: str = Field(min_length=16, max_length=128)
    number: str = Field(pattern=r"^\d{2}$", description="The number the user matched on the device")
    decision: Literal["approve", "deny"]
    signature: str = Field(max_length=128, description="Signature of 'ref|number|decision'")
