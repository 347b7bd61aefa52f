// Accepting an invitation to act for a Provider ID (a delegate: functions/delegations). The secret rides in
// the URL fragment (#token=...), which browsers never send to a server, and is kept for this tab only, so
// signing in on the way does not lose it. Nothing is posted until the person presses the button, so mail
// scanners that open links do no harm. The account must be the one of the invited address.

import { api, sitePath } from "./api.js";
import { dayText, el } from "./dom.js";
import { featureList } from "./links.js";
import { initPage } from "./page.js";

const KEPT = "delegation-invitation";

function takeToken() {
  const found = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (window.location.hash) {
    // Keep the secret out of the history, bookmarks and anything that copies the address bar.
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  if (found) sessionStorage.setItem(KEPT, found);
  return found || sessionStorage.getItem(KEPT);
}

const token = takeToken();
await initPage("Accept an invitation");
const sections = {
  signin: document.getElementById("delegation-signin"),
  ready: document.getElementById("delegation-ready"),
  missing: document.getElementById("delegation-missing"),
};
const button = document.getElementById("delegation-accept");
const result = document.getElementById("delegation-result");
const status = document.getElementById("delegation-status");

function only(name) {
  for (const [key, section] of Object.entries(sections)) section.hidden = key !== name;
}

function show(kind, title, parts) {
  result.className = `notice ${kind}`;
  result.replaceChildren(el("h2", {}, title), ...parts.map((p) => (typeof p === "string" ? el("p", {}, p) : p)));
  result.hidden = false;
  status.textContent = title;
  result.focus();
}

function accepted(data) {
  sessionStorage.removeItem(KEPT);
  only(null);
  const next = sitePath(data.next) || "/access.html";
  show("success", `You act for ${data.provider_name}`, [
    el("dl", { className: "facts" },
      el("dt", {}, "Provider ID"), el("dd", {}, data.provider_id),
      el("dt", {}, "For"), el("dd", {}, data.company),
      el("dt", {}, "May use"), el("dd", {}, featureList(data.features)),
      el("dt", {}, "Last day"), el("dd", {}, dayText(data.ends_on))),
    next === "/agreement.html" ? "Accept the plan's Provider Agreement first: then you act for it."
      : "Your access starts now.",
    el("p", {}, el("a", { className: "button", href: next },
      next === "/agreement.html" ? "Read and accept the Provider Agreement" : "Go to provider access")),
  ]);
}

function refused(answer) {
  const problem = answer.data;
  const transient = answer.status === 0 || answer.status >= 500;
  const otherAccount = problem.type === "/problems/invitation-for-another-address";
  if (!transient && !otherAccount) sessionStorage.removeItem(KEPT); // spent, expired or withdrawn: it stays so
  button.disabled = false;
  button.textContent = "Try again";
  if (!transient) only(null);
  const parts = [problem.detail || ""];
  if (otherAccount) parts.push(el("p", {}, el("a", { href: "/account.html" }, "Your account (sign out there)")));
  show("error", problem.title, parts.filter(Boolean));
}

if (!token) {
  only("missing");
} else {
  const session = await api("/sessions/current", { keepOn401: true });
  if (!session.ok || session.data.stage !== "full") {
    only("signin"); // signed out, or a sign-in still owing its second step
  } else {
    only("ready");
    button.addEventListener("click", async () => {
      button.disabled = true;
      button.textContent = "Accepting…";
      const answer = await api("/delegations/accept", { method: "POST", body: { token } });
      if (answer.ok) accepted(answer.data);
      else refused(answer);
    });
  }
}
