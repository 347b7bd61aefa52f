// The second step of signing in: choose one of your methods, then enter its code, or approve the
// request on your phone (choosing the number shown here) while this page asks every 2 seconds, or use
// a passkey (the browser asks the device for it; no code).

import { api, goTo } from "./api.js";
import { busy, clearErrors, showProblem } from "./forms.js";
import { el, sleep } from "./dom.js";
import { initPage } from "./page.js";
import { browserProblem, verifyWithPasskey } from "./passkeys.js";
import { headerSignOut, landing, requireSession } from "./session.js";

const POLL_MS = 2000;
const KIND_HINTS = {
  totp: "Enter the code your authenticator app shows.",
  sms: "We text you a code.",
  email: "We email you a code.",
  push: "Approve the sign-in on your phone.",
  passkey: "Use your passkey: your device asks for your fingerprint, face or screen lock.",
};

headerSignOut((problem) => showProblem(document.getElementById("main"), problem));
const config = await initPage("Confirm it is you");
const session = await requireSession(["mfa"]);

const chooseForm = document.getElementById("choose-form");
const codeForm = document.getElementById("code-form");
const pushPanel = document.getElementById("push-panel");
const choices = document.getElementById("factor-choices");
const codeInput = document.getElementById("code");
const codeSent = document.getElementById("code-sent");
const resendCode = document.getElementById("resend-code");
const pushNumber = document.getElementById("push-number");
const pushStatus = document.getElementById("push-status");
const status = document.getElementById("mfa-status");

for (const span of document.querySelectorAll("[data-remember-days]")) {
  span.textContent = String(config.remember_device_days || 30);
}

const factors = session.factors.filter((f) => f.confirmed);
for (const factor of factors) {
  const id = `factor-${factor.factor_id}`;
  const hint = KIND_HINTS[factor.kind];
  choices.append(el("div", { className: "choice" },
    el("input", { type: "radio", id, name: "factor_id", value: factor.factor_id, checked: factors.length === 1,
      "aria-describedby": hint ? `${id}-hint` : undefined }),
    el("label", { for: id }, factor.label),
    hint ? el("span", { className: "hint", id: `${id}-hint` }, hint) : null));
}
chooseForm.hidden = false;

let current = null; // the chosen factor
let generation = 0; // bumps whenever the person starts over: a stale push poll stops

function showOnly(...visible) {
  for (const section of [chooseForm, codeForm, pushPanel]) section.hidden = !visible.includes(section);
}

function chooseAgain() {
  generation += 1;
  current = null;
  clearErrors(codeForm);
  clearErrors(chooseForm);
  showOnly(chooseForm);
  (chooseForm.querySelector("input:checked") || chooseForm.querySelector("input")).focus();
}
for (const button of document.querySelectorAll("[data-choose-again]")) button.addEventListener("click", chooseAgain);

/** Ask for a code or a push for `factor` (POST /mfa/challenge). */
async function challenge(factor, form, button) {
  clearErrors(form);
  const restore = busy(button, factor.kind === "push" ? "Sending…" : "Please wait…");
  let answer;
  try {
    answer = await api("/mfa/challenge", { method: "POST", body: { factor_id: factor.factor_id } });
  } finally {
    restore();
  }
  if (!answer.ok) {
    showProblem(form, answer.data);
    return;
  }
  current = factor;
  const mine = ++generation;
  if (factor.kind === "push") {
    pushNumber.textContent = answer.data.push_number;
    pushStatus.textContent = "Waiting for your answer…";
    pushStatus.className = "push-status";
    showOnly(pushPanel);
    document.getElementById("push-heading").focus();
    waitForPush(factor, mine);
    return;
  }
  const sent = answer.data.sent_to;
  document.getElementById("code-heading").textContent =
    factor.kind === "totp" ? "Enter the code from your authenticator app" : "Enter the code we sent you";
  codeSent.textContent = factor.kind === "totp"
    ? "Open the app and enter the 6 digits it shows for this portal."
    : `We sent a code to ${sent}. It expires in a few minutes.`;
  resendCode.hidden = factor.kind === "totp";
  codeInput.value = "";
  clearErrors(codeForm);
  showOnly(codeForm);
  status.textContent = codeSent.textContent;
  codeInput.focus();
}

async function waitForPush(factor, mine) {
  const remember = document.getElementById("push-remember");
  while (mine === generation) {
    await sleep(POLL_MS);
    if (mine !== generation) return;
    const answer = await api("/mfa/verify", {
      method: "POST", body: { factor_id: factor.factor_id, remember_device: remember.checked },
    });
    if (mine !== generation) return;
    if (answer.status === 202) continue;
    if (answer.ok) {
      generation += 1;
      pushStatus.textContent = "Approved. Signing you in…";
      pushStatus.className = "push-status done";
      await goTo(await landing(answer.data.next));
      return;
    }
    if (answer.status === 0 || answer.status >= 500) continue; // a passing failure: ask again
    pushStatus.textContent = `${answer.data.title}. ${answer.data.detail || ""}`.trim();
    pushStatus.className = "push-status failed";
    return;
  }
}

chooseForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(chooseForm);
  const checked = chooseForm.querySelector("input[name=factor_id]:checked");
  const factor = checked && factors.find((f) => f.factor_id === checked.value);
  if (!factor) {
    showProblem(chooseForm, { title: "Choose a sign-in method", errors: [{ field: "factor_id", message: "Choose one of your methods." }] });
    return;
  }
  if (factor.kind === "passkey") {
    await usePasskey(document.getElementById("choose-submit"));
    return;
  }
  await challenge(factor, chooseForm, document.getElementById("choose-submit"));
});

resendCode.addEventListener("click", () => current && challenge(current, codeForm, resendCode));
document.getElementById("resend-push").addEventListener("click", (event) => {
  if (current) challenge(current, pushPanel, event.currentTarget);
});

codeForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!current) return;
  clearErrors(codeForm);
  const code = codeInput.value.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(code)) {
    showProblem(codeForm, { title: "Enter the code", errors: [{ field: "code", message: "Enter the 6 digits of the code." }] });
    return;
  }
  const submit = document.getElementById("verify-submit");
  const restore = busy(submit, "Checking…");
  try {
    const answer = await api("/mfa/verify", {
      method: "POST",
      body: { factor_id: current.factor_id, code, remember_device: document.getElementById("remember").checked },
    });
    if (answer.ok) {
      await goTo(await landing(answer.data.next));
      return;
    }
    showProblem(codeForm, answer.data);
  } finally {
    restore();
  }
});

/** A passkey needs no code: the browser asks the device, the API checks its answer. */
async function usePasskey(button) {
  const restore = busy(button, "Waiting for your passkey…");
  try {
    let answer;
    try {
      answer = await verifyWithPasskey(false);
    } catch (error) {
      const problem = browserProblem(error);
      if (problem) showProblem(chooseForm, problem);
      return;
    }
    if (answer.ok) {
      await goTo(await landing(answer.data.next));
      return;
    }
    showProblem(chooseForm, answer.data);
  } finally {
    restore();
  }
}
