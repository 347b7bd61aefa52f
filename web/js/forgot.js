// "Forgot your password?": the answer is the same whether or not the address has an account.

import { api } from "./api.js";
import { busy, clearErrors, formValues, showProblem } from "./forms.js";
import { initPage } from "./page.js";

await initPage("Reset your password");
const form = document.getElementById("forgot-form");
const submit = document.getElementById("forgot-submit");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const restore = busy(submit, "Sending…");
  try {
    const answer = await api("/password-resets", { method: "POST", body: formValues(form) });
    if (answer.ok) {
      form.hidden = true;
      document.getElementById("forgot-message").textContent = answer.data.message;
      const panel = document.getElementById("forgot-result");
      panel.hidden = false;
      panel.focus();
      return;
    }
    showProblem(form, answer.data); // 429 carries a detail that says when to try again
  } finally {
    restore();
  }
});
