"""A reference device for push sign-in, standing in for the phone app the portal does not ship.

It holds an Ed25519 key pair, enrols the public key with the one-time enrol code the portal shows,
reads its push notifications (locally: from the devserver outbox) and approves or denies a sign-in
by signing 'challenge_ref|number|decision'.

    python -m devserver.push_device enrol --code <enrol code> [--state device.json]
    python -m devserver.push_device approve --number <number shown on screen> [--deny]
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class PushDevice:
    private_key: Ed25519PrivateKey
    push_token: str
    factor_id: str | None = None

    @classmethod
    def new(cls) -> PushDevice:
        return cls(Ed25519PrivateKey.generate(), "device-" + secrets.token_hex(16))

    @property
    def public_key(self) -> str:
        raw = self.private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                         serialization.PublicFormat.Raw)
        return _b64(raw)

    def sign(self, message: str) -> str:
        return _b64(self.private_key.sign(message.encode()))

    def enrol_request(self, enrol_code: str, device_name: str = "Reference device") -> dict[str, str]:
        return {"enrol_code": enrol_code, "public_key": self.public_key, "device_name": device_name,
                "push_token": self.push_token, "signature": self.sign(enrol_code)}

    def answer_request(self, challenge_ref: str, number: str, approve: bool = True) -> dict[str, str]:
        decision = "approve" if approve else "deny"
        return {"challenge_ref": challenge_ref, "number": number, "decision": decision,
                "signature": self.sign(f"{challenge_ref}|{number}|{decision}")}

    def to_json(self) -> str:
        raw = self.private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                             serialization.NoEncryption())
        return json.dumps({"key": _b64(raw), "push_token": self.push_token, "factor_id": self.factor_id})

    @classmethod
    def from_json(cls, text: str) -> PushDevice:
        data = json.loads(text)
        key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(data["key"]))
        return cls(key, data["push_token"], data.get("factor_id"))


def latest_challenge(pushes: list[dict[str, Any]], push_token: str) -> str | None:
    """The newest sign-in request sent to this device, from the outbox's push list."""
    for push in pushes:  # newest first
        if push.get("token") == push_token:
            payload = json.loads(push["message"])
            payload = json.loads(payload["default"]) if "default" in payload else payload
            if payload.get("type") == "mfa_push":
                return str(payload["challenge_ref"])
    return None


def _post(url: str, body: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - the portal's own URL
        url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the portal's own URL
        return dict(json.load(response))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("action", choices=["enrol", "approve"])
    parser.add_argument("--portal", default="http://127.0.0.1:3000")
    parser.add_argument("--state", default="push-device.json", type=Path)
    parser.add_argument("--code", help="enrol: the enrol code the portal shows")
    parser.add_argument("--number", help="approve: the number shown on the sign-in screen")
    parser.add_argument("--deny", action="store_true")
    args = parser.parse_args()
    if args.action == "enrol":
        device = PushDevice.new()
        result = _post(f"{args.portal}/api/push/devices", device.enrol_request(args.code))
        device.factor_id = result["factor_id"]
        args.state.write_text(device.to_json())
        print(f"Enrolled. Device state saved in {args.state}.")
        return
    device = PushDevice.from_json(args.state.read_text())
    with urllib.request.urlopen(f"{args.portal}/dev/outbox.json", timeout=10) as response:  # noqa: S310
        outbox = json.load(response)
    ref = latest_challenge(outbox.get("pushes", []), device.push_token)
    if ref is None:
        raise SystemExit("No sign-in request has reached this device.")
    print(_post(f"{args.portal}/api/push/responses", device.answer_request(ref, args.number, not args.deny)))


if __name__ == "__main__":
    main()
