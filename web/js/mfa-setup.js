// Set up multifactor authentication: at the first sign-in (stage mfa_setup), or later from the
// account page to add another method (stage full). Each method is started, then proved once:
// a code from the app, a text message or an email; or, for push, the phone enrolling its key.
// Adding a method to an account that has one needs a recent sign-in: when the session is older, the
// API asks for the current password (reauthentication-required), asked for here and sent along.

import { api, goTo } from "./api.js";
import { busy, clearErrors, showProblem } from "./forms.js";
import { sleep } from "./dom.js";
import { initPage } from "./page.js";
import { passwordToggle } from "./password.js";
import { headerSignOut, requireSession } from "./session.js";

const DEFAULT_PORTAL = "http://127.0.0.1:3000"; // the reference device's default --portal
const WAITING = "(waiting for the device)";
const POLL_MS = 2000;
const ENROL_WINDOW_MS = 10 * 60 * 1000;

headerSignOut((problem) => showProblem(document.getElementById("main"), problem));
const config = await initPage("Set Up Multifactor Authentication");
const session = await requireSession(["mfa_setup", "full"]);

const chooseForm = document.getElementById("choose-form");
const smsForm = document.getElementById("sms-form");
const totpPanel = document.getElementById("totp-panel");
const pushPanel = document.getElementById("push-panel");
const confirmForm = document.getElementById("confirm-form");
const codeField = document.getElementById("code-field");
const codeInput = document.getElementById("code");
const codeLabel = codeField.querySelector("label");
const sentTo = document.getElementById("sent-to");
const resend = document.getElementById("resend-code");
const remember = document.getElementById("remember");
const confirmSubmit = document.getElementById("confirm-submit");
const pushStatus = document.getElementById("push-status");
const status = document.getElementById("setup-status");
const reauthForm = document.getElementById("reauth-form");
const reauthPassword = document.getElementById("reauth-password");
const reauthSubmit = document.getElementById("reauth-submit");
const REAUTH = new Set(["/problems/reauthentication-required", "/problems/reauthentication-failed"]);
passwordToggle(document.getElementById("reauth-password-toggle"), [reauthPassword]);

for (const span of document.querySelectorAll("[data-remember-days]")) {
  span.textContent = String(config.remember_device_days || 30);
}
for (const element of document.querySelectorAll("[data-stage]")) element.hidden = element.dataset.stage !== session.stage;

// The methods this plan offers, in its order of preference; the ones already set up say so.
const have = new Set(session.factors.filter((f) => f.confirmed).map((f) => f.kind));
for (const choice of chooseForm.querySelectorAll("[data-kind]")) {
  const offered = session.offered_factors.includes(choice.dataset.kind);
  choice.hidden = !offered;
  choice.querySelector("input").disabled = !offered;
  if (offered && have.has(choice.dataset.kind)) {
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = "Already set up";
    choice.querySelector("label").append(" ", tag);
  }
}
const container = chooseForm.querySelector(".choices");
for (const kind of session.offered_factors) {
  const choice = container.querySelector(`[data-kind="${CSS.escape(kind)}"]`);
  if (choice) container.append(choice);
}
chooseForm.hidden = false;

let current = null; // {kind, factorId, phone}
let pending = null; // the body of a start that waits for the password
let generation = 0; // bumps whenever the person starts over: stale polls stop

function showOnly(...visible) {
  for (const section of [chooseForm, smsForm, totpPanel, pushPanel, confirmForm, reauthForm]) {
    section.hidden = !visible.includes(section);
  }
}

function chooseAgain() {
  generation += 1;
  current = null;
  pending = null;
  reauthPassword.value = "";
  clearErrors(confirmForm);
  showOnly(chooseForm);
  const checked = chooseForm.querySelector("input[name=kind]:checked");
  (checked || chooseForm.querySelector("input[name=kind]:not(:disabled)")).focus();
}
for (const button of document.querySelectorAll("[data-choose-again]")) button.addEventListener("click", chooseAgain);

function groupSecret(secret) {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

function showCodeStep(label, hint) {
  codeField.hidden = false;
  codeInput.disabled = false;
  codeInput.value = "";
  codeLabel.textContent = label;
  document.getElementById("code-hint").textContent = hint;
  confirmSubmit.disabled = false;
}

/** Start the method (POST /mfa/factors); `form` shows the problem if it fails. */
async function enrol(body, form, button) {
  clearErrors(form);
  const restore = busy(button, "Starting…");
  let answer;
  try {
    answer = await api("/mfa/factors", { method: "POST", body });
  } finally {
    restore();
  }
  if (!answer.ok && REAUTH.has(answer.data.type)) {
    askForPassword(body, answer.data);
    return;
  }
  if (!answer.ok) {
    showProblem(form, answer.data);
    return;
  }
  pending = null;
  reauthPassword.value = "";
  const started = answer.data;
  const mine = ++generation;
  current = { kind: started.kind, factorId: started.factor_id, phone: body.phone };
  clearErrors(confirmForm);
  sentTo.hidden = true;
  resend.hidden = true;
  if (started.kind === "totp") {
    document.getElementById("totp-qr").src = started.qr_svg;
    document.getElementById("totp-secret").textContent = groupSecret(started.secret);
    showCodeStep("Code from the app", "The 6 digits the app shows for this portal.");
    showOnly(totpPanel, confirmForm);
    status.textContent = "Scan the QR code, then enter the code from the app.";
    document.getElementById("totp-heading").focus();
  } else if (started.kind === "push") {
    await startPush(started, mine);
  } else {
    sentTo.textContent = `We sent a code to ${started.sent_to}. It expires in a few minutes.`;
    sentTo.hidden = false;
    resend.hidden = false;
    showCodeStep(started.kind === "sms" ? "Code from the text message" : "Code from the email",
      "6 digits. Never share this code.");
    showOnly(confirmForm);
    status.textContent = sentTo.textContent;
    codeInput.focus();
  }
}

/** The session signed in a while ago: ask for the current password, then start `body` again with it. */
function askForPassword(body, problem) {
  const { password: _, ...rest } = body;
  pending = rest;
  showOnly(reauthForm);
  reauthPassword.value = "";
  if (problem.type === "/problems/reauthentication-failed") {
    showProblem(reauthForm, problem);
  } else {
    clearErrors(reauthForm);
    status.textContent = document.getElementById("reauth-message").textContent;
  }
  reauthPassword.focus();
}

reauthForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!pending) return;
  if (!reauthPassword.value) {
    showProblem(reauthForm, {
      title: "Enter your password",
      errors: [{ field: "password", message: "Enter your current password." }],
    });
    return;
  }
  await enrol({ ...pending, password: reauthPassword.value }, reauthForm, reauthSubmit);
});

async function startPush(started, mine) {
  // The label before the device enrols, to notice when it does (the API renames the method then).
  const before = (await findFactor(started.factor_id))?.label;
  document.getElementById("push-code").textContent = started.enrol_code;
  const portal = window.location.origin === DEFAULT_PORTAL ? "" : ` --portal ${window.location.origin}`;
  document.getElementById("push-command").textContent =
    `python -m devserver.push_device enrol --code ${started.enrol_code}${portal}`;
  pushStatus.textContent = "Waiting for your device…";
  pushStatus.className = "push-status";
  codeField.hidden = true;
  codeInput.disabled = true;
  confirmSubmit.disabled = false; // confirming early only gets "the device has not enrolled yet"
  showOnly(pushPanel, confirmForm);
  document.getElementById("push-heading").focus();
  waitForDevice(started.factor_id, before, mine);
}

/** The method as listed now: null when the list could not be read, undefined when it is gone. */
async function findFactor(factorId) {
  const answer = await api("/mfa/factors");
  if (!answer.ok) return null;
  return answer.data.factors.find((f) => f.factor_id === factorId);
}

async function waitForDevice(factorId, before, mine) {
  const deadline = Date.now() + ENROL_WINDOW_MS;
  while (mine === generation && Date.now() < deadline) {
    await sleep(POLL_MS);
    if (mine !== generation) return;
    const factor = await findFactor(factorId);
    if (factor === null) continue; // a passing failure: ask again
    if (factor === undefined) {
      pushStatus.textContent = "This set-up was replaced by another one. Choose a method again.";
      return;
    }
    const label = factor.label;
    // The API renames the method when the device has enrolled its key ("Push to <device name> …").
    if (factor.device_ready === true || (before !== undefined && label !== before) || !label.includes(WAITING)) {
      const name = label.replace(` ${WAITING}`, "");
      pushStatus.textContent = `Your device is connected (${name}). Confirm to finish.`;
      pushStatus.className = "push-status done";
      clearErrors(confirmForm); // an early "not enrolled yet" no longer applies
      confirmSubmit.focus();
      return;
    }
  }
  if (mine === generation) {
    pushStatus.textContent = "The enrol code expired. Choose Push notification again for a new code.";
    pushStatus.className = "push-status failed";
  }
}

chooseForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(chooseForm);
  const checked = chooseForm.querySelector("input[name=kind]:checked");
  if (!checked) {
    showProblem(chooseForm, { title: "Choose a sign-in method", errors: [{ field: "kind", message: "Choose one of the methods." }] });
    return;
  }
  if (checked.value === "sms") {
    clearErrors(smsForm);
    showOnly(smsForm);
    document.getElementById("phone").focus();
    return;
  }
  await enrol({ kind: checked.value }, chooseForm, document.getElementById("choose-submit"));
});

smsForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const phone = document.getElementById("phone").value.trim();
  await enrol(phone ? { kind: "sms", phone } : { kind: "sms" }, smsForm, document.getElementById("sms-submit"));
});

resend.addEventListener("click", async () => {
  if (!current) return;
  const body = current.kind === "sms" ? { kind: "sms", phone: current.phone } : { kind: current.kind };
  await enrol(body, confirmForm, resend); // a new code; the earlier one stops working
});

confirmForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!current) return;
  clearErrors(confirmForm);
  const body = { remember_device: remember.checked };
  if (current.kind !== "push") body.code = codeInput.value.replace(/\s+/g, "");
  if (current.kind !== "push" && !/^\d{6}$/.test(body.code)) {
    showProblem(confirmForm, { title: "Enter the code", errors: [{ field: "code", message: "Enter the 6 digits of the code." }] });
    return;
  }
  const restore = busy(confirmSubmit, "Confirming…");
  try {
    const answer = await api(`/mfa/factors/${encodeURIComponent(current.factorId)}/confirm`, { method: "POST", body });
    if (answer.ok) {
      generation += 1;
      await goTo(answer.data.next);
      return;
    }
    showProblem(confirmForm, answer.data);
    if (answer.data.resend && current.kind !== "totp") resend.hidden = false;
  } finally {
    restore();
  }
});
