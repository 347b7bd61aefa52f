// The signed-in home: a summary of provider access (details on access.html), sign-in methods (add,
// remove with the password), passkeys (add with the password, rename, remove with the password),
// remembered devices (forget), and signing out here or everywhere.

import { api } from "./api.js";
import { busy, clearErrors, showProblem } from "./forms.js";
import { el, notice, shortDate } from "./dom.js";
import { initPage } from "./page.js";
import { browserProblem, createPasskey, passkeysSupported } from "./passkeys.js";
import { headerSignOut, requireSession, signOut } from "./session.js";

headerSignOut((problem) => showProblem(document.getElementById("main"), problem));
const config = await initPage("Your account");
await requireSession(["full"]);

const factorList = document.getElementById("factor-list");
const passkeyList = document.getElementById("passkey-list");
const deviceList = document.getElementById("device-list");
const accountNotice = document.getElementById("account-notice");
const summaryHost = document.getElementById("main"); // problems without a form show in the summary

function say(title, text) {
  clearErrors(summaryHost);
  notice(accountNotice, "success", title, text ? [text] : []);
}

function emptyItem(text) {
  return el("li", { className: "empty" }, text);
}

async function loadFactors() {
  const answer = await api("/mfa/factors");
  if (!answer.ok) {
    factorList.replaceChildren(emptyItem("Your sign-in methods could not be loaded. Reload the page."));
    return;
  }
  const confirmed = answer.data.factors.filter((f) => f.confirmed);
  const others = confirmed.filter((f) => f.kind !== "passkey");
  const passkeys = confirmed.filter((f) => f.kind === "passkey");
  factorList.replaceChildren(...(others.length
    ? others.map((factor) => factorItem(factor, confirmed.length))
    : [emptyItem(passkeys.length ? "None besides your passkeys." : "No sign-in methods yet.")]));
  passkeyList.replaceChildren(...(passkeys.length
    ? passkeys.map((factor) => passkeyItem(factor, confirmed.length))
    : [emptyItem("No passkeys yet.")]));
}

function factorItem(factor, count, ...actions) {
  const item = el("li", { className: "item" });
  const row = el("div", { className: "item-row" },
    el("div", { className: "item-text" }, el("strong", {}, factor.label)), ...actions);
  const remove = el("button", { type: "button", className: "button secondary small" }, "Remove");
  remove.setAttribute("aria-label", `Remove ${factor.label}`);
  if (count < 2) {
    remove.disabled = true;
    remove.title = "Add another sign-in method before removing this one.";
    row.querySelector(".item-text").append(el("span", { className: "hint" }, "Your only sign-in method: add another before removing it."));
  }
  row.append(remove);
  item.append(row);
  remove.addEventListener("click", () => {
    if (item.querySelector("form")) return;
    const form = removeForm(factor, () => {
      form.remove();
      remove.hidden = false;
      remove.focus();
    });
    remove.hidden = true;
    item.append(form);
    form.querySelector("input").focus();
  });
  return item;
}

/** "Enter your password to remove …": DELETE /mfa/factors/{id} with the password in the body. */
function removeForm(factor, cancel) {
  return oneFieldForm({
    field: "password", id: `password-${factor.factor_id}`, label: "Your password",
    hint: el("p", {}, "To remove ", el("strong", {}, factor.label), ", enter your password."),
    input: { type: "password", autocomplete: "current-password", maxLength: 1024 },
    submitLabel: "Remove", busyLabel: "Removing…",
    missing: { title: "Enter your password", message: "Enter your current password." },
    send: (password) => api(`/mfa/factors/${encodeURIComponent(factor.factor_id)}`, {
      method: "DELETE", body: { password },
    }),
    done: async (answer) => {
      say("Sign-in method removed", answer.data.message);
      await Promise.all([loadFactors(), loadDevices()]);
    },
  }, cancel);
}

/**
 * A small form of one field below an item of a list: Cancel, a check that the field is not empty, the
 * request, and its problem shown in the form (or `done` with the answer).
 */
function oneFieldForm({ field, id, label, hint, input, submitLabel, busyLabel, missing, send, done }, cancel) {
  const submit = el("button", { type: "submit", className: "button small" }, submitLabel);
  const described = hint ? { "aria-describedby": `${id}-hint` } : {};
  if (hint) hint.id = `${id}-hint`;
  const form = el("form", { className: "inline-form", novalidate: true },
    hint,
    el("div", { className: "field", "data-field": field },
      el("label", { for: id }, label),
      el("p", { className: "field-error", id: `${id}-error`, hidden: true }),
      el("input", { id, name: field, required: true, ...input, ...described })),
    el("div", { className: "actions" }, submit,
      el("button", { type: "button", className: "link-button", "data-cancel": true }, "Cancel")));
  form.querySelector("[data-cancel]").addEventListener("click", cancel);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const raw = form.querySelector("input").value;
    const value = input.type === "password" ? raw : raw.trim();
    if (!value) {
      showProblem(form, { title: missing.title, errors: [{ field, message: missing.message }] });
      return;
    }
    const restore = busy(submit, busyLabel);
    try {
      const answer = await send(value);
      if (!answer.ok) {
        showProblem(form, answer.data);
        return;
      }
      await done(answer);
    } finally {
      restore();
    }
  });
  return form;
}

async function loadDevices() {
  const answer = await api("/mfa/devices");
  if (!answer.ok) {
    deviceList.replaceChildren(emptyItem("Your remembered devices could not be loaded. Reload the page."));
    return;
  }
  const devices = answer.data.devices;
  deviceList.replaceChildren(...(devices.length ? devices.map(deviceItem)
    : [emptyItem("None. Every sign-in asks for the extra check.")]));
}

function deviceItem(device) {
  const forget = el("button", { type: "button", className: "button secondary small" }, "Forget");
  forget.setAttribute("aria-label", `Forget ${device.label}, remembered on ${shortDate(device.created_at)}`);
  const item = el("li", { className: "item" }, el("div", { className: "item-row" },
    el("div", { className: "item-text" }, el("strong", {}, device.label),
      el("span", { className: "hint" }, `Remembered on ${shortDate(device.created_at)}, until ${shortDate(device.valid_until)}`)),
    forget));
  forget.addEventListener("click", async () => {
    clearErrors(summaryHost);
    const restore = busy(forget, "Forgetting…");
    try {
      const answer = await api(`/mfa/devices/${encodeURIComponent(device.device_id)}`, { method: "DELETE" });
      if (!answer.ok) {
        showProblem(summaryHost, answer.data);
        return;
      }
      say("Device forgotten", answer.data.message);
      await loadDevices();
    } finally {
      restore();
    }
  });
  return item;
}

const everywhere = document.getElementById("signout-everywhere");
everywhere.addEventListener("click", async () => {
  clearErrors(summaryHost);
  const restore = busy(everywhere, "Signing out…");
  const answer = await signOut(true);
  restore();
  if (answer && !answer.ok) showProblem(summaryHost, answer.data);
});

/** One line on the provider links: how many give access, and whether something waits for this user. */
async function loadAccessSummary() {
  const answer = await api("/links");
  if (!answer.ok) return; // the access page says why
  const links = answer.data.links;
  const summary = document.getElementById("access-summary");
  if (!links.length) {
    summary.textContent = "You have not linked a Provider ID yet. Link the one you work for to see its records.";
    return;
  }
  const active = links.filter((l) => l.status === "active").length;
  const yours = links.filter((l) => l.status === "pending_agreement").length;
  const waiting = links.filter((l) => l.status.startsWith("pending_")).length - yours;
  const parts = [`Access to ${active} of ${links.length} linked Provider ID${links.length === 1 ? "" : "s"}.`];
  if (yours) parts.push("The Provider Agreement waits for you.");
  if (waiting) parts.push(`${waiting} waiting for others.`);
  summary.textContent = parts.join(" ");
}


// --- passkeys ----------------------------------------------------------------------------------------
function passkeyItem(factor, count) {
  const rename = el("button", { type: "button", className: "button secondary small" }, "Rename");
  rename.setAttribute("aria-label", `Rename ${factor.label}`);
  const item = factorItem(factor, count, rename);
  rename.addEventListener("click", () => {
    if (item.querySelector("form")) return;
    const form = renameForm(factor, () => {
      form.remove();
      rename.focus();
    });
    item.append(form);
    form.querySelector("input").focus();
  });
  return item;
}

/** PATCH /mfa/passkeys/{id} with the new name. */
function renameForm(factor, cancel) {
  return oneFieldForm({
    field: "name", id: `name-${factor.factor_id}`, label: `New name for ${factor.label}`,
    input: { type: "text", value: factor.label, maxLength: 64, autocomplete: "off" },
    submitLabel: "Save the name", busyLabel: "Saving…",
    missing: { title: "Enter a name", message: "Enter a name for the passkey." },
    send: (name) => api(`/mfa/passkeys/${encodeURIComponent(factor.factor_id)}`, { method: "PATCH", body: { name } }),
    done: async (answer) => {
      say("Passkey renamed", answer.data.message);
      await loadFactors();
    },
  }, cancel);
}

const passkeyForm = document.getElementById("passkey-form");
const passkeyAdd = document.getElementById("passkey-add");
document.getElementById("passkeys-passwordless").hidden = !config.passwordless_passkeys;

function closePasskeyForm() {
  passkeyForm.hidden = true;
  passkeyForm.reset();
  clearErrors(passkeyForm);
  passkeyAdd.hidden = false;
}

if (!passkeysSupported()) {
  document.getElementById("passkeys-unsupported").hidden = false;
  document.getElementById("passkey-add-actions").hidden = true;
}
passkeyAdd.addEventListener("click", () => {
  passkeyAdd.hidden = true;
  passkeyForm.hidden = false;
  document.getElementById("passkey-password").focus();
});
document.getElementById("passkey-cancel").addEventListener("click", () => {
  closePasskeyForm();
  passkeyAdd.focus();
});

/** The password (re-authentication), then the browser creates the passkey, then the API stores it. */
passkeyForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(passkeyForm);
  const password = document.getElementById("passkey-password").value;
  const name = document.getElementById("passkey-name").value.trim();
  if (!password) {
    showProblem(passkeyForm, { title: "Enter your password", errors: [{ field: "password", message: "Enter your current password." }] });
    return;
  }
  const submit = document.getElementById("passkey-create");
  const restore = busy(submit, "Waiting for your device…");
  try {
    const options = await api("/mfa/passkeys/registration-options", { method: "POST", body: { password } });
    if (!options.ok) {
      showProblem(passkeyForm, options.data);
      return;
    }
    let credential;
    try {
      credential = await createPasskey(options.data.public_key);
    } catch (error) {
      const problem = browserProblem(error);
      if (problem) showProblem(passkeyForm, problem);
      return;
    }
    const body = name ? { credential, name } : { credential };
    const answer = await api("/mfa/passkeys", { method: "POST", body });
    if (!answer.ok) {
      showProblem(passkeyForm, answer.data);
      return;
    }
    closePasskeyForm();
    say("Passkey added", answer.data.message);
    await Promise.all([loadFactors(), loadDevices()]);
  } finally {
    restore();
  }
});

await Promise.all([loadFactors(), loadDevices(), loadAccessSummary()]);
