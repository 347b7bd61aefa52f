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


# --- passkeys (WebAuthn) -----------------------------------------------------------------------------
# A credential as the browser's PublicKeyCredential gives it (its toJSON() shape, binary as base64url).
Base64Url = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]*$")]
PasskeyName = Annotated[str, Field(min_length=1, max_length=64), PlainText]


class _Credential(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: Annotated[Base64Url, Field(min_length=16, max_length=1366)]
    raw_id: Annotated[Base64Url, Field(min_length=16, max_length=1366, alias="rawId")]
    type: Literal["public-key"]
    client_extension_results: dict[str, object] = Field(default_factory=dict, alias="clientExtensionResults")
    authenticator_attachment: Literal["platform", "cross-platform"] | None = Field(
        default=None, alias="authenticatorAttachment")

    def as_webauthn(self) -> dict[str, object]:
        """The dict py_webauthn parses (the browser's JSON names)."""
        return self.model_dump(by_alias=True, exclude_none=True)


class AttestationResponse(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    client_data_json: Annotated[Base64Url, Field(min_length=1, max_length=4096, alias="clientDataJSON")]
    attestation_object: Annotated[Base64Url, Field(min_length=1, max_length=16384, alias="attestationObject")]
    transports: list[Annotated[str, Field(max_length=32)]] | None = Field(default=None, max_length=8)


class AssertionResponse(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    client_data_json: Annotated[Base64Url, Field(min_length=1, max_length=4096, alias="clientDataJSON")]
    authenticator_data: Annotated[Base64Url, Field(min_length=1, max_length=4096, alias="authenticatorData")]
    signature: Annotated[Base64Url, Field(min_length=1, max_length=1024)]
    user_handle: Annotated[Base64Url, Field(max_length=128)] | None = Field(
        default=None, alias="userHandle", description="The account the passkey belongs to (passwordless)")


class RegistrationCredential(_Credential):
    response: AttestationResponse


class AssertionCredential(_Credential):
    response: AssertionResponse


class PasskeyOptionsRequest(_Strict):
    password: str | None = Field(default=None, min_length=1, max_length=1024,
                                 description="Your password: needed to add a passkey unless you signed in "
                                             "within the last few minutes")


class PasskeyOptions(BaseModel):
    public_key: dict[str, object] = Field(
        description="The options for navigator.credentials.create() or .get() (binary values as base64url)")


class AddPasskeyRequest(_Strict):
    credential: RegistrationCredential
    name: PasskeyName | None = Field(default=None, description="A name to tell your passkeys apart")


class PasskeyAdded(BaseModel):
    factor_id: str
    label: str
    message: str


class RenamePasskeyRequest(_Strict):
    name: PasskeyName


class PasskeyVerifyRequest(_Strict):
    credential: AssertionCredential
    remember_device: bool = False


class PasskeySignInRequest(_Strict):
    credential: AssertionCredential
