// Choosing a new password with the mailed link. The secret rides in the URL fragment (#token=...),
// which browsers never send to a server, and leaves the address bar at once.

import { api } from "./api.js";
import { busy, clearErrors, problemLinks, showProblem } from "./forms.js";
import { initPage } from "./page.js";
import { passwordRules, passwordToggle } from "./password.js";

function takeToken() {
  const found = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (window.location.hash) {
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  return found;
}

let token = takeToken();

const config = await initPage("Choose a new password");
const form = document.getElementById("reset-form");
const submit = document.getElementById("reset-submit");
const password = document.getElementById("password");
const confirmation = document.getElementById("confirm_password");
const missing = document.getElementById("reset-missing");
const result = document.getElementById("reset-result");

passwordRules(config.password_policy, password, document.getElementById("password-rules"));
passwordToggle(document.getElementById("password-toggle"), [password, confirmation]);

function show() {
  form.hidden = !token;
  missing.hidden = Boolean(token);
  result.hidden = true;
}
show();

// Another reset link opened while this page is showing changes only the fragment.
window.addEventListener("hashchange", () => {
  const next = takeToken();
  if (next) {
    token = next;
    clearErrors(form);
    show();
  }
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const restore = busy(submit, "Changing your password…");
  try {
    // Both passwords go to the API, which checks that they match with the plan's rules, in one answer.
    const answer = await api("/password-resets/complete", {
      method: "POST", body: { token, password: password.value, confirm_password: confirmation.value },
    });
    if (answer.ok) {
      form.hidden = true;
      password.value = confirmation.value = "";
      document.getElementById("reset-message").textContent = answer.data.message;
      result.hidden = false;
      result.focus();
      return;
    }
    let problem = answer.data;
    if ((problem.errors || []).some((error) => error.field === "token")) { // a mangled link
      problem = { title: "This reset link is not valid", detail: "Copy the whole link from the email, or ask for a new one.",
        type: "/problems/reset-link-invalid", retry: "/forgot.html" };
    }
    showProblem(form, problem, problemLinks(problem, { retry: "Email me a new reset link" }));
    if (problem.type === "/problems/reset-link-invalid") form.hidden = true; // the summary says what next
  } finally {
    restore();
  }
});
