"""A software passkey for tests: an EC P-256 key that answers WebAuthn create() and get() options the way a
platform authenticator does (attestation "none", user verified), as the browser's JSON."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field, replace
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40  # authenticator data flags: user present, user verified, attested credential


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftPasskey:
    origin: str = "http://localhost:3000"
    rp_id: str = "localhost"
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: os.urandom(16))
    user_handle: bytes | None = None
    sign_count: int = 0
    counts: bool = True  # False: a synced passkey that keeps no counter (always 0)

    def clone(self) -> SoftPasskey:
        """The same key and credential on another device, with a counter of its own."""
        return replace(self)

    def create(self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None,
               verified: bool = True) -> dict[str, Any]:
        """The answer to navigator.credentials.create({publicKey: options})."""
        self.user_handle = unb64(options["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        cose_key = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                                -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose_key
        flags = UP | AT | (UV if verified else 0)
        auth_data = self._rp_hash(rp_id) + bytes([flags]) + struct.pack(">I", self.sign_count) + attested
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64(client_data), "attestationObject": b64(attestation),
                             "transports": ["internal"]},
                "clientExtensionResults": {}, "authenticatorAttachment": "platform"}

    def get(self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None,
            counter: int | None = None, verified: bool = True) -> dict[str, Any]:
        """The answer to navigator.credentials.get({publicKey: options}); the counter moves on by one."""
        if self.counts:
            self.sign_count = self.sign_count + 1 if counter is None else counter
        flags = UP | (UV if verified else 0)
        auth_data = self._rp_hash(rp_id) + bytes([flags]) + struct.pack(">I", self.sign_count)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64(client_data), "authenticatorData": b64(auth_data),
                             "signature": b64(signature),
                             "userHandle": b64(self.user_handle) if self.user_handle is not None else None},
                "clientExtensionResults": {}, "authenticatorAttachment": "platform"}

    def _rp_hash(self, rp_id: str | None) -> bytes:
        return hashlib.sha256((rp_id or self.rp_id).encode()).digest()

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()
