// Sign-up: the fields the plan asks for, live password hints, the security code, server errors per field.

import { api } from "./api.js";
import { busy, clearErrors, formValues, showProblem } from "./forms.js";
import { solutionPayload, solveChallenge } from "./captcha.js";
import { initPage } from "./page.js";
import { passwordRules, passwordToggle } from "./password.js";

const config = await initPage("Create your account");
const form = document.getElementById("register-form");
const submit = document.getElementById("register-submit");
const password = document.getElementById("password");
const extended = config.registration_form === "cmo";

for (const section of form.querySelectorAll("[data-form]")) {
  const shown = section.dataset.form === config.registration_form;
  section.hidden = !shown;
  for (const input of section.querySelectorAll("input")) input.disabled = !shown;
}
for (const element of document.querySelectorAll("[data-when-code]")) element.hidden = config.verification !== "code";
for (const element of document.querySelectorAll("[data-when-link]")) element.hidden = config.verification !== "link";

// Password hints: a guide while typing. The server checks the same rules and has the last word.
passwordRules(config.password_policy, password, document.getElementById("password-rules"));
passwordToggle(document.getElementById("password-toggle"), [...form.querySelectorAll("#password, #confirm_password")]);

// Security code: fetched and solved when ticked, or at the latest when the form is sent.
const captchaInput = document.getElementById("captcha");
const captchaCheck = document.getElementById("captcha-check");
const captchaStatus = document.getElementById("captcha-status");
const CAPTCHA_FRESH_MS = 8 * 60 * 1000; // challenges expire after 10 minutes
let captchaSolvedAt = 0;
let captchaRun = null;

function captchaState(text, kind = "") {
  captchaStatus.textContent = text;
  captchaStatus.className = `captcha-status ${kind}`.trim();
}

function resetCaptcha(message = "") {
  captchaInput.value = "";
  captchaSolvedAt = 0;
  captchaCheck.checked = false;
  captchaCheck.disabled = false;
  captchaState(message, message ? "failed" : "");
}

async function runCaptcha() {
  captchaCheck.checked = true;
  captchaCheck.disabled = true;
  captchaState("Verifying you are human…");
  const challenge = await api("/captcha");
  if (!challenge.ok) {
    resetCaptcha("Could not get a security code. Try again.");
    return false;
  }
  let last = -1;
  const number = await solveChallenge(challenge.data, {
    onProgress: (fraction) => {
      const percent = Math.floor(fraction * 100);
      if (percent >= last + 10) {
        last = percent;
        captchaState(`Verifying you are human… ${percent}%`);
      }
    },
  });
  if (number === null) {
    resetCaptcha("The security check failed. Tick the box to try again.");
    return false;
  }
  captchaInput.value = solutionPayload(challenge.data, number);
  captchaSolvedAt = Date.now();
  captchaState("Verified", "done");
  return true;
}

function ensureCaptcha() {
  if (!extended) return Promise.resolve(true);
  if (captchaInput.value && Date.now() - captchaSolvedAt < CAPTCHA_FRESH_MS) return Promise.resolve(true);
  if (!captchaRun) captchaRun = runCaptcha().finally(() => { captchaRun = null; });
  return captchaRun;
}

captchaCheck.addEventListener("change", () => {
  if (captchaCheck.checked) ensureCaptcha();
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const restore = busy(submit, extended ? "Checking the security code…" : "Creating your account…");
  try {
    if (!(await ensureCaptcha())) {
      showProblem(form, {
        title: "The security code is not ready",
        detail: "Tick “I am not a robot” again, then create your account.",
        errors: [{ field: "captcha", message: "Solve the security code." }],
      });
      return;
    }
    submit.textContent = "Creating your account…";
    const result = await api("/registrations", { method: "POST", body: formValues(form) });
    if (result.ok) {
      done(result.data);
      return;
    }
    const fields = showProblem(form, result.data);
    if (fields.includes("captcha")) resetCaptcha();
  } finally {
    restore();
  }
});

function done(answer) {
  form.hidden = true;
  document.getElementById("registration-message").textContent = answer.message;
  for (const id of ["registration-email", "registration-email-code"]) {
    document.getElementById(id).textContent = answer.email;
  }
  const panel = document.getElementById("registration-done");
  panel.hidden = false;
  panel.focus();
}
