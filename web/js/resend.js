// "Send me a new activation email": the answer is the same for every address.

import { api } from "./api.js";
import { busy, clearErrors, formValues, showProblem } from "./forms.js";
import { initPage } from "./page.js";

await initPage("Send a new activation email");
const form = document.getElementById("resend-form");
const submit = document.getElementById("resend-submit");

const email = new URLSearchParams(window.location.search).get("email");
if (email) document.getElementById("email").value = email;

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const restore = busy(submit, "Sending…");
  try {
    const answer = await api("/activations/resend", { method: "POST", body: formValues(form) });
    if (answer.ok) {
      form.hidden = true;
      document.getElementById("resend-message").textContent = answer.data.message;
      const panel = document.getElementById("resend-result");
      panel.hidden = false;
      panel.focus();
      return;
    }
    showProblem(form, answer.data); // 429 and 503 carry a detail that says when to try again
  } finally {
    restore();
  }
});
