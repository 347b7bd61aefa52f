// Passkeys with the browser's WebAuthn API: the API sends options as JSON (binary values as base64url),
// the browser wants ArrayBuffers, and the answer goes back as JSON again. One place for the conversions,
// and for the words a person sees when the browser or the device says no.

import { api } from "./api.js";

/** Whether this browser can use passkeys at all. */
export function passkeysSupported() {
  return typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
}

/** Whether the browser offers passkeys in the user-name field's autofill (conditional mediation). */
export async function autofillSupported() {
  if (!passkeysSupported() || typeof PublicKeyCredential.isConditionalMediationAvailable !== "function") return false;
  try {
    return await PublicKeyCredential.isConditionalMediationAvailable();
  } catch {
    return false;
  }
}

export function toBase64Url(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function descriptors(list) {
  return (list || []).map((item) => ({ ...item, id: fromBase64Url(item.id) }));
}

function creationOptions(json) {
  return {
    ...json,
    challenge: fromBase64Url(json.challenge),
    user: { ...json.user, id: fromBase64Url(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

function requestOptions(json) {
  const options = { ...json, challenge: fromBase64Url(json.challenge) };
  if (json.allowCredentials) options.allowCredentials = descriptors(json.allowCredentials);
  return options;
}

function common(credential) {
  const json = {
    id: credential.id,
    rawId: toBase64Url(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
  };
  if (credential.authenticatorAttachment) json.authenticatorAttachment = credential.authenticatorAttachment;
  return json;
}

/** navigator.credentials.create() with the API's options; the credential as the API takes it. */
export async function createPasskey(options) {
  const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
  const response = credential.response;
  return {
    ...common(credential),
    response: {
      clientDataJSON: toBase64Url(response.clientDataJSON),
      attestationObject: toBase64Url(response.attestationObject),
      transports: typeof response.getTransports === "function" ? response.getTransports() : [],
    },
  };
}

/** navigator.credentials.get() with the API's options (mediation "conditional": the autofill). */
export async function getPasskey(options, { mediation, signal } = {}) {
  const request = { publicKey: requestOptions(options) };
  if (mediation) request.mediation = mediation;
  if (signal) request.signal = signal;
  const credential = await navigator.credentials.get(request);
  const response = credential.response;
  return {
    ...common(credential),
    response: {
      clientDataJSON: toBase64Url(response.clientDataJSON),
      authenticatorData: toBase64Url(response.authenticatorData),
      signature: toBase64Url(response.signature),
      userHandle: response.userHandle ? toBase64Url(response.userHandle) : null,
    },
  };
}

/** A browser refusal (cancelled, timed out, not allowed) as a problem the forms show. */
export function browserProblem(error) {
  if (error && error.name === "AbortError") return null; // this page cancelled it (another way was chosen)
  if (error && error.name === "InvalidStateError") {
    return { title: "This passkey is already on your account",
      detail: "Your device already has a passkey for this portal. It is listed under your passkeys." };
  }
  if (error && error.name === "NotAllowedError") {
    return { title: "No passkey was used",
      detail: "The request was cancelled or timed out. Try again when you are ready, or use another way to sign in." };
  }
  return { title: "Your browser could not use a passkey",
    detail: "Try again, or use another way to sign in. Some older browsers do not support passkeys." };
}

/** The second step of signing in with a passkey: challenge, the device, verify. Resolves to the API's answer. */
export async function verifyWithPasskey(rememberDevice) {
  const options = await api("/mfa/passkeys/challenge", { method: "POST", body: {} });
  if (!options.ok) return options;
  const credential = await getPasskey(options.data.public_key);
  return api("/mfa/passkeys/verify", { method: "POST", body: { credential, remember_device: rememberDevice } });
}
