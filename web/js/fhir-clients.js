// The members page's "Systems that use the FHIR API": a Provider ID's SMART Backend Services clients
// (an EHR or practice-management system that fetches member data through the Provider Access API).
// The administrator registers a system with its public keys (a JWKS URL, or the JWK Set pasted),
// sees the client ID to give the vendor with the token URL and FHIR base URL, and revokes systems.
// A pasted key set is read here first: text that is not JSON, or a private key, is never sent.

import { api } from "./api.js";
import { clearErrors, showProblemInForm, whileBusy } from "./forms.js";
import { el, notice, shortDate } from "./dom.js";

const SCOPE_TEXT = {
  "system/Group.rs": "attributed members",
  "system/Patient.rs": "member details",
  "system/Coverage.rs": "coverage",
  "system/ExplanationOfBenefit.rs": "claims and encounters",
  "system/ClaimResponse.rs": "prior-authorization status",
  "system/Claim.c": "prior-authorization requests",
};
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"]; // a JWK with one of these is a private key
const STATUS = { active: ["Active", "ok"], revoked: ["Revoked", "closed"] };

/**
 * Set up the section. `confirmInPlace(item, trigger, question, yesText, action)` asks once more;
 * `live` is the page's polite status line. Answers {load, hide}: load the list (false when this
 * account may not see it: the section stays hidden), hide the section.
 */
export function fhirClients({ providerId, live, confirmInPlace }) {
  const card = document.getElementById("fhir-card");
  const body = document.getElementById("fhir-body");
  const sectionNotice = document.getElementById("fhir-notice");
  const list = document.getElementById("fhir-client-list");
  const form = document.getElementById("fhir-form");
  const formProblem = document.getElementById("fhir-form-problem");
  const nameInput = document.getElementById("fhir-name");
  const urlField = document.getElementById("fhir-url-field");
  const urlInput = document.getElementById("fhir-jwks-url");
  const jwksField = document.getElementById("fhir-jwks-field");
  const jwksInput = document.getElementById("fhir-jwks");
  const submit = document.getElementById("fhir-register");
  const base = `/providers/${encodeURIComponent(providerId)}/fhir-clients`;
  let endpoints = { token_url: "", fhir_base: "" };
  let highlight = null; // the client just registered, marked in the list

  function hide() {
    card.hidden = true;
  }

  function hideNotice() {
    sectionNotice.hidden = true;
    sectionNotice.replaceChildren();
  }

  function keySource() {
    return form.querySelector("input[name=key_source]:checked")?.value || "url";
  }

  function showKeySource() {
    const pasted = keySource() === "jwks";
    urlField.hidden = pasted;
    urlInput.disabled = pasted;
    jwksField.hidden = !pasted;
    jwksInput.disabled = !pasted;
  }

  // ---- The list ----

  function keysText(client) {
    const kids = client.key_ids.length ? `key ID${client.key_ids.length > 1 ? "s" : ""} ${client.key_ids.join(", ")}` : "";
    if (client.jwks_url) return el("span", { className: "hint" }, "Keys published at ", el("span", { className: "mono" }, client.jwks_url));
    return el("span", { className: "hint" }, "Pasted keys: ", el("span", { className: "mono" }, kids || "none"));
  }

  function datesText(client) {
    const dates = [`Registered ${shortDate(client.created_at)}`];
    if (client.revoked_at) dates.push(`revoked ${shortDate(client.revoked_at)}`);
    return el("span", { className: "hint" }, dates.join("; "));
  }

  function clientItem(client) {
    const [statusText, kind] = STATUS[client.status] || [client.status, "closed"];
    const item = el("li", { className: `item${client.client_id === highlight ? " highlight" : ""}`,
      "data-client": client.client_id });
    const text = el("div", { className: "item-text" },
      el("strong", {}, client.name),
      el("span", {}, "Client ID ", el("code", { className: "mono client-id" }, client.client_id)),
      keysText(client),
      el("span", { className: "hint" }, "May use: ", client.scopes.map((s) => SCOPE_TEXT[s] || s).join(", ")),
      datesText(client));
    const actions = el("div", { className: "item-actions" }, el("span", { className: `status ${kind}` }, statusText));
    if (client.status === "active") {
      const revoke = el("button", { type: "button", className: "button secondary small" }, "Revoke");
      revoke.setAttribute("aria-label", `Revoke ${client.name}`);
      revoke.addEventListener("click", () => confirmInPlace(item, revoke,
        `Revoke ${client.name}? It can no longer fetch member data; to connect it again, register it anew.`,
        "Yes, revoke", () => revokeClient(client)));
      actions.append(revoke);
    }
    item.append(el("div", { className: "item-row" }, text, actions));
    return item;
  }

  function render(data) {
    endpoints = { token_url: data.token_url, fhir_base: data.fhir_base };
    document.getElementById("fhir-token-url").textContent = data.token_url;
    document.getElementById("fhir-base").textContent = data.fhir_base;
    const clients = [...data.clients].sort((a, b) => (a.status === b.status ? 0 : a.status === "active" ? -1 : 1));
    list.replaceChildren(...(clients.length ? clients.map(clientItem)
      : [el("li", { className: "empty" }, "No systems are registered yet.")]));
  }

  /** Load and show the clients; false (section hidden) when this account may not manage them. */
  async function load() {
    const answer = await api(base);
    if (!answer.ok) {
      if (answer.status === 403) {
        hide();
        return false;
      }
      body.hidden = true;
      card.hidden = false;
      notice(sectionNotice, "error", answer.data.title, [answer.data.detail || ""].filter(Boolean),
        { heading: "h3", focus: false });
      return false;
    }
    body.hidden = false;
    card.hidden = false;
    render(answer.data);
    return true;
  }

  // ---- Revoking ----

  async function revokeClient(client) {
    hideNotice();
    const answer = await api(`${base}/${encodeURIComponent(client.client_id)}`, { method: "DELETE" });
    if (!answer.ok) {
      notice(sectionNotice, answer.status === 409 ? "warning" : "error", answer.data.title,
        [answer.data.detail || ""].filter(Boolean), { heading: "h3" });
      live.textContent = answer.data.title;
      await load();
      return;
    }
    highlight = null;
    await load();
    notice(sectionNotice, "success", `${client.name} revoked`, [answer.data.message], { heading: "h3" });
    live.textContent = `${client.name} revoked. ${answer.data.message}`;
  }

  // ---- Registering ----

  /** Field errors next to their fields (focus on the first); anything else in the form's own notice. */
  function showErrors(problem) {
    const errors = (problem.errors || []).map((e) => {
      const field = String(e.field || "body");
      if (field === "body") return { ...e, field: "key_source" };
      if (field.startsWith("jwks.")) return { ...e, field: "jwks" };
      if (field.startsWith("scopes")) return { ...e, field: "scopes" };
      return e;
    });
    showProblemInForm(form, formProblem, { ...problem, errors });
  }

  /** The pasted key set as the API takes it ({keys: [...]}, a single key or a list of keys wrapped), or an error. */
  function pastedKeys() {
    const text = jwksInput.value.trim();
    if (!text) return { error: "Paste the public key set the vendor gave you." };
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { error: "This is not JSON. Paste the key set exactly as the vendor sent it, from { to }." };
    }
    let jwks = parsed;
    if (Array.isArray(parsed)) jwks = { keys: parsed };
    else if (parsed && typeof parsed === "object" && "kty" in parsed) jwks = { keys: [parsed] };
    if (!jwks || typeof jwks !== "object" || !Array.isArray(jwks.keys)) {
      return { error: "This is JSON but not a key set: it needs a \"keys\" list." };
    }
    if (jwks.keys.some((key) => key && typeof key === "object" && PRIVATE_MEMBERS.some((m) => m in key))) {
      return { error: "This is a private key: it was not sent. Paste only the public key set (keys without \"d\"); "
        + "the private key stays with the vendor's system." };
    }
    return { value: { keys: jwks.keys } };
  }

  /** The request body, or the field errors found before sending. */
  function registration() {
    const request = { name: nameInput.value.trim() };
    const errors = [];
    if (keySource() === "jwks") {
      const keys = pastedKeys();
      if (keys.error) errors.push({ field: "jwks", message: keys.error });
      else request.jwks = keys.value;
    } else if (urlInput.value.trim()) {
      request.jwks_url = urlInput.value.trim();
    } else {
      errors.push({ field: "jwks_url", message: "Enter the JWKS URL the vendor gave you." });
    }
    const scopes = [...form.querySelectorAll("input[name=scopes]:checked")].map((box) => box.value);
    if (!scopes.length) errors.push({ field: "scopes", message: "Tick at least one kind of data." });
    request.scopes = scopes;
    return { request, errors };
  }

  function copyButton(text, what) {
    const button = el("button", { type: "button", className: "button secondary small" }, "Copy");
    button.setAttribute("aria-label", `Copy the ${what}`);
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(text);
        live.textContent = `The ${what} is copied.`;
      } catch {
        const value = button.previousElementSibling;
        window.getSelection().selectAllChildren(value);
        live.textContent = `The ${what} is selected: copy it with your keyboard or menu.`;
      }
    });
    return button;
  }

  function registered(client) {
    const row = (label, value, what, className = "mono") => [el("dt", {}, label),
      el("dd", {}, el("span", { className: "copy-row" }, el("code", { className }, value), copyButton(value, what)))];
    notice(sectionNotice, "success", `${client.name} is registered`, [
      el("p", {}, "Give the vendor these three values. The client ID is not secret, but only this system's keys can use it."),
      el("dl", { className: "facts registered" },
        ...row("Client ID", client.client_id, "client ID", "mono secret client-id"),
        ...row("Token URL", endpoints.token_url, "token URL"),
        ...row("FHIR base URL", endpoints.fhir_base, "FHIR base URL")),
    ], { heading: "h3" });
    live.textContent = `${client.name} is registered. Its client ID is ${client.client_id}.`;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    formProblem.hidden = true;
    hideNotice();
    const { request, errors } = registration();
    if (errors.length) {
      showErrors({ title: "Some fields need attention", errors });
      return;
    }
    live.textContent = "Registering the system…";
    const answer = await whileBusy(submit, "Registering…", () => api(base, { method: "POST", body: request }));
    if (!answer.ok) {
      live.textContent = answer.data.title;
      showErrors(answer.data);
      return;
    }
    highlight = answer.data.client_id;
    form.reset();
    showKeySource();
    await load();
    registered(answer.data);
  });

  for (const radio of form.querySelectorAll("input[name=key_source]")) radio.addEventListener("change", () => {
    clearErrors(form);
    showKeySource();
  });
  showKeySource();

  return { load, hide };
}
