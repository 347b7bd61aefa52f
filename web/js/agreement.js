// The Provider Agreement: its current text (Markdown, shown as text), and accepting that version.
// Accepting moves on every access request that waited for it. If the agreement changed while the
// person read it, the API refuses the old version: the page loads the new text to read again.

import { api } from "./api.js";
import { busy, clearErrors, showProblem } from "./forms.js";
import { notice } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { initPage } from "./page.js";
import { headerSignOut, requireSession } from "./session.js";

const main = document.getElementById("main");
headerSignOut((problem) => showProblem(main, problem));
await initPage("Provider Agreement");
await requireSession(["full"]);

const card = document.getElementById("agreement-card");
const text = document.getElementById("agreement-text");
const version = document.getElementById("agreement-version");
const form = document.getElementById("accept-form");
const agree = document.getElementById("agree");
const submit = document.getElementById("accept-submit");
const acceptedActions = document.getElementById("accepted-actions");
const agreementNotice = document.getElementById("agreement-notice");

let current = null; // the version shown

function showAccepted(title, parts) {
  form.hidden = true;
  acceptedActions.hidden = false;
  notice(agreementNotice, "success", title, parts);
}

/** Load and show the current agreement; false when it could not be loaded. */
async function load() {
  const answer = await api("/agreements/provider");
  if (!answer.ok) {
    showProblem(main, answer.data);
    return false;
  }
  const agreement = answer.data;
  current = agreement.version;
  version.textContent = `Version ${agreement.version}`;
  text.replaceChildren(renderMarkdown(agreement.text));
  text.scrollTop = 0;
  card.hidden = false;
  agree.checked = false;
  if (agreement.accepted) {
    showAccepted("You have accepted this agreement", [`You accepted version ${agreement.version}. Nothing more to do here.`]);
  } else {
    form.hidden = false;
    acceptedActions.hidden = true;
  }
  return true;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  agreementNotice.hidden = true;
  if (!agree.checked) {
    showProblem(form, {
      title: "Confirm that you agree",
      errors: [{ field: "agree", message: "Tick the box to confirm you have read and agree to the Provider Agreement." }],
    });
    return;
  }
  const restore = busy(submit, "Accepting…");
  let answer;
  try {
    answer = await api("/agreements/provider", { method: "POST", body: { version: current } });
  } finally {
    restore();
  }
  if (answer.ok) {
    showAccepted("Agreement accepted", [answer.data.message, "Your access requests that waited for it move on now."]);
    return;
  }
  if (answer.data.type === "/problems/agreement-outdated") {
    if (await load()) {
      notice(agreementNotice, "error", answer.data.title,
        ["The agreement changed while you read it. Read the current version below, then accept it."]);
    }
    return;
  }
  showProblem(form, answer.data);
});

await load();
