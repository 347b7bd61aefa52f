// Sign in: login and password (and, on plans that mail a code at registration, that code the first
// time). The API answers with the page to go to next: MFA set-up, the MFA check, or the account.
// On plans that allow it (passwordless_passkeys), a passkey alone signs in too: from its button, or
// from the browser's autofill of the user-name field (conditional mediation) offering the saved passkey.
// On plans with a CAPTCHA, several failed sign-ins for one user name make the API ask for a solved
// security code (captcha-required): the box appears, the browser solves it and sends the sign-in again.

import { api, forgetSession, goTo } from "./api.js";
import { captchaWidget } from "./captcha.js";
import { busy, clearErrors, formValues, problemLinks, showProblem } from "./forms.js";
import { notice } from "./dom.js";
import { initPage } from "./page.js";
import { passwordToggle } from "./password.js";
import { autofillSupported, browserProblem, getPasskey, passkeysSupported } from "./passkeys.js";
import { landing } from "./session.js";

const config = await initPage("Sign in");
const form = document.getElementById("signin-form");
const submit = document.getElementById("signin-submit");
const codeField = document.getElementById("verification-field");
const codeInput = document.getElementById("verification_code");

if (config.signin_with === "username") document.getElementById("login-label").textContent = "User name";
passwordToggle(document.getElementById("password-toggle"), [document.getElementById("password")]);

// Why the person is here: signed out, or a session that ended (idle or signed out elsewhere).
const MESSAGES = {
  "signed-out": ["success", "You are signed out", "Close the browser if others use this computer."],
  everywhere: ["success", "You are signed out everywhere", "Every session of your account has ended."],
  ended: ["", "Your session has ended", "You were signed out, or the portal signed you out after a while without activity. Sign in again."],
};
const params = new URLSearchParams(window.location.search);
const reason = params.has("signed-out") ? (params.get("signed-out") === "everywhere" ? "everywhere" : "signed-out")
  : params.get("session") === "ended" ? "ended" : null;
if (reason) {
  forgetSession();
  const [kind, title, text] = MESSAGES[reason];
  notice(document.getElementById("signin-notice"), kind, title, [text], { focus: false });
  history.replaceState(null, "", window.location.pathname);
}

function askForCode() {
  codeField.hidden = false;
  codeInput.disabled = false;
}

const captchaField = document.getElementById("captcha-field");
const captchaInput = document.getElementById("captcha");
const captcha = captchaWidget({
  check: document.getElementById("captcha-check"),
  status: document.getElementById("captcha-status"),
  input: captchaInput,
  fetchChallenge: () => api("/captcha"),
});

function askForCaptcha() {
  captchaField.hidden = false;
  captchaInput.disabled = false;
}

function isCaptchaError(problem) {
  return Array.isArray(problem.errors) && problem.errors.some((error) => error.field === "captcha");
}

/**
 * Send the sign-in; when the API asks for a security code (or refuses a spent or expired one), solve a
 * new one and send again. A solution is good for one attempt, so it is forgotten after each.
 * Resolves to the last answer, or to a problem of this page when no code could be solved.
 */
async function signIn() {
  for (let attempt = 0; ; attempt++) {
    if (!captchaField.hidden) {
      submit.textContent = "Checking the security code…";
      if (!(await captcha.ensure())) {
        return { ok: false, data: {
          title: "The security code is not ready",
          detail: "Tick “I am not a robot” again, then sign in.",
          errors: [{ field: "captcha", message: "Solve the security code." }],
        } };
      }
      submit.textContent = "Signing in…";
    }
    const body = formValues(form);
    const answer = await api("/sessions", { method: "POST", body });
    if (body.captcha) captcha.reset();
    if (answer.ok || attempt >= 2) return answer;
    const problem = answer.data;
    if (problem.type === "/problems/captcha-required" && !body.captcha) {
      askForCaptcha();
      continue;
    }
    if (answer.status === 422 && body.captcha && isCaptchaError(problem)) continue; // a new challenge
    return answer;
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  if (!codeField.hidden && !/^\d{6}$/.test(codeInput.value.trim())) {
    showProblem(form, {
      title: "Enter your verification code",
      errors: [{ field: "verification_code", message: "Enter the 6 digits of the code from the email." }],
    });
    return;
  }
  const restore = busy(submit, "Signing in…");
  try {
    const answer = await signIn();
    if (answer.ok) {
      await goTo(await landing(answer.data.next));
      return;
    }
    const problem = answer.data;
    if (problem.type === "/problems/verification-code-required") {
      // Expected at the first sign-in, not a mistake: a notice says what to do, the code field waits.
      askForCode();
      notice(document.getElementById("signin-notice"), "info", problem.title, [problem.detail || ""], { focus: false });
      codeInput.focus();
      return;
    }
    if (problem.type === "/problems/verification-code-wrong") askForCode();
    const links = problem.type === "/problems/account-not-activated"
      ? problemLinks(problem, { resend: "Send me a new activation email" })
      : [];
    showProblem(form, problem, links);
    if (problem.type === "/problems/signin-failed") document.getElementById("password").value = "";
  } finally {
    restore();
  }
});

// --- passkeys, on plans that sign in with a passkey alone ----------------------------------------------
const passkeySection = document.getElementById("passkey-signin");
const passkeyButton = document.getElementById("passkey-submit");
let autofill = null; // the waiting autofill request: cancelled when the button is used instead

async function passkeySignIn({ conditional }) {
  const options = await api("/passkeys/signin-options", { method: "POST", body: {} });
  if (!options.ok) return conditional ? null : options;
  let credential;
  try {
    if (conditional) {
      autofill = new AbortController();
      credential = await getPasskey(options.data.public_key, { mediation: "conditional", signal: autofill.signal });
    } else {
      credential = await getPasskey(options.data.public_key);
    }
  } catch (error) {
    const problem = browserProblem(error);
    return problem && !conditional ? { ok: false, data: problem } : null;
  }
  return api("/passkeys/signin", { method: "POST", body: { credential } });
}

async function finishPasskey(answer) {
  if (!answer) return;
  if (answer.ok) {
    await goTo(await landing(answer.data.next));
    return;
  }
  showProblem(form, answer.data);
}

if (config.passwordless_passkeys && passkeysSupported()) {
  passkeySection.hidden = false;
  passkeyButton.addEventListener("click", async () => {
    clearErrors(form);
    if (autofill) autofill.abort();
    const restore = busy(passkeyButton, "Waiting for your passkey…");
    try {
      await finishPasskey(await passkeySignIn({ conditional: false }));
    } finally {
      restore();
    }
    startAutofill();
  });
  startAutofill();
}

async function startAutofill() {
  if (!(await autofillSupported())) return;
  await finishPasskey(await passkeySignIn({ conditional: true }));
}
