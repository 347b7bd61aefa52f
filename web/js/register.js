// Sign-up: the fields the plan asks for, live password hints, the security code, server errors per field.

import { api } from "./api.js";
import { busy, clearErrors, formValues, showProblem } from "./forms.js";
import { captchaWidget } from "./captcha.js";
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
const captcha = captchaWidget({
  check: document.getElementById("captcha-check"),
  status: document.getElementById("captcha-status"),
  input: document.getElementById("captcha"),
  fetchChallenge: () => api("/captcha"),
});
const ensureCaptcha = () => (extended ? captcha.ensure() : Promise.resolve(true));

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const restore = busy(submit, extended ? "Checking the security code…" : "Creating your account…");
  try {
    // A code that could not be solved is simply not sent: the API then says "Solve the security code."
    // together with every other field's error, in one answer.
    const solved = await ensureCaptcha();
    submit.textContent = "Creating your account…";
    const result = await api("/registrations", { method: "POST", body: formValues(form) });
    if (result.ok) {
      done(result.data);
      return;
    }
    showProblem(form, result.data);
    // A solution answers one attempt (the API spends it once the fields pass): the next one solves anew.
    if (extended && solved) captcha.reset();
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
