// Sign in: login and password (and, on plans that mail a code at registration, that code the first
// time). The API answers with the page to go to next: MFA set-up, the MFA check, or the account.

import { api, forgetSession, goTo } from "./api.js";
import { busy, clearErrors, formValues, problemLinks, showProblem } from "./forms.js";
import { notice } from "./dom.js";
import { initPage } from "./page.js";
import { passwordToggle } from "./password.js";

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
    const answer = await api("/sessions", { method: "POST", body: formValues(form) });
    if (answer.ok) {
      await goTo(answer.data.next);
      return;
    }
    const problem = answer.data;
    if (problem.type === "/problems/verification-code-required" || problem.type === "/problems/verification-code-wrong") {
      askForCode();
    }
    const links = problem.type === "/problems/account-not-activated"
      ? problemLinks(problem, { resend: "Send me a new activation email" })
      : [];
    const fields = showProblem(form, problem, links);
    if (problem.type === "/problems/verification-code-required") codeInput.focus();
    else if (problem.type === "/problems/signin-failed") document.getElementById("password").value = "";
  } finally {
    restore();
  }
});
