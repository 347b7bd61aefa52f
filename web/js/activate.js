// Activation: the secret rides in the URL fragment (#token=...), which browsers never send to a server.
// Nothing is posted until the person presses the button, so mail scanners that open links do no harm.

import { api, sitePath } from "./api.js";
import { initPage } from "./page.js";

function takeToken() {
  const found = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (window.location.hash) {
    // Keep the secret out of the history, bookmarks and anything that copies the address bar.
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  return found;
}

let token = takeToken();

await initPage("Activate your account");
const ready = document.getElementById("activate-ready");
const button = document.getElementById("activate-button");
const result = document.getElementById("activate-result");
const status = document.getElementById("activate-status");

const missing = document.getElementById("activate-missing");

function reset() {
  ready.hidden = !token;
  missing.hidden = Boolean(token);
  result.hidden = true;
  button.disabled = false;
  button.textContent = "Activate my account";
}
reset();

// Another link opened while this page is showing changes only the fragment: start over with it.
window.addEventListener("hashchange", () => {
  const next = takeToken();
  if (next) {
    token = next;
    reset();
  }
});

function paragraph(text) {
  const p = document.createElement("p");
  p.textContent = text;
  return p;
}

function link(href, text, className = "") {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  if (className) a.className = className;
  return a;
}

function show(kind, title, parts) {
  const heading = document.createElement("h2");
  heading.textContent = title;
  result.className = `notice ${kind}`;
  result.replaceChildren(heading, ...parts);
  result.hidden = false;
  status.textContent = title;
  result.focus();
}

button.addEventListener("click", async () => {
  button.disabled = true;
  button.textContent = "Activating…";
  const answer = await api("/activations", { method: "POST", body: { token } });
  if (answer.ok) {
    ready.hidden = true;
    const parts = [paragraph(answer.data.message)];
    const p = document.createElement("p");
    p.append(link(sitePath(answer.data.next) || "/signin.html", "Continue to sign in", "button"));
    parts.push(p);
    show("success", "Account activated", parts);
    return;
  }
  const problem = answer.data;
  const parts = [paragraph(problem.detail || "")];
  const resend = sitePath(problem.resend);
  if (resend) {
    const p = document.createElement("p");
    p.append(link(resend, "Send me a new activation email"));
    parts.push(p);
  }
  if (answer.status === 0 || answer.status >= 500) {
    button.disabled = false; // a transient failure: the same link may still work
    button.textContent = "Try again";
  } else {
    ready.hidden = true;
  }
  show("error", problem.title, parts);
});
