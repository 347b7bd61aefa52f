// The organizational agreement of a group (?provider=ID), on plans that require one: its status, the
// form a supervisor, manager or owner signs, and the plan's promise of how soon provider relations
// decides. While it waits for that decision, the page polls and shows the outcome.

import { api } from "./api.js";
import { busy, clearErrors, formValues, showProblem } from "./forms.js";
import { el, notice, shortDate, sleep } from "./dom.js";
import { pageProvider, providerChoices } from "./links.js";
import { renderMarkdown } from "./markdown.js";
import { initPage } from "./page.js";
import { headerSignOut, requireSession } from "./session.js";

const POLL_MS = 5000;
const SLOW_MS = 20000;
const FAST_FOR_MS = 2 * 60 * 1000;
const TITLES = { supervisor: "Supervisor", manager: "Manager", owner: "Owner" };
const STATES = {
  none: { label: "Not signed yet", kind: "action" },
  unsigned: { label: "Not signed yet", kind: "action" },
  pending: { label: "Signed, waiting for provider relations", kind: "pending" },
  approved: { label: "Approved", kind: "ok" },
  rejected: { label: "Not approved", kind: "closed" },
};

const main = document.getElementById("main");
headerSignOut((problem) => showProblem(main, problem));
const config = await initPage("Organizational agreement");
await requireSession(["full"]);

const orgNotice = document.getElementById("org-notice");
const live = document.getElementById("org-status-live");
const groupCard = document.getElementById("group-card");
const form = document.getElementById("sign-form");
const submit = document.getElementById("sign-submit");
const back = document.getElementById("back-actions");
const promise = document.getElementById("promise");
// Without ?provider= (the mail links to the page itself): the group whose access waits for it.
const { providerId, choices } = await pageProvider((l) => l.link_type === "group" && l.status === "pending_org_agreement");

function backLink() {
  return el("p", {}, el("a", { href: "/access.html" }, "Go to provider access"));
}

function signedBy(status) {
  const title = TITLES[status.signer_title] || status.signer_title || "";
  const when = status.signed_at ? ` on ${shortDate(status.signed_at)}` : "";
  return status.signer_name ? `Signed by ${status.signer_name}${title ? ` (${title})` : ""}${when}.` : "";
}

let lastStatus = null;

function render(status, justSigned = null) {
  const state = STATES[status.status] || { label: status.status, kind: "closed" };
  document.getElementById("group-name").textContent = status.group_name;
  document.getElementById("group-provider").textContent = providerId;
  document.getElementById("group-tax").textContent = `ending in ${status.tax_id_last4}`;
  document.getElementById("group-status").replaceChildren(el("span", { className: `status ${state.kind}` }, state.label));
  const promised = status.promise || config.org_agreement_promise || "";
  promise.textContent = promised;
  promise.hidden = !promised;
  document.getElementById("attest-label").textContent =
    `I am a supervisor, manager or owner of ${status.group_name}, and authorised to sign this agreement for it`;
  groupCard.hidden = false;
  if (lastStatus && lastStatus !== status.status) live.textContent = `Organizational agreement: ${state.label}.`;
  lastStatus = status.status;

  const signing = ["none", "unsigned", "rejected"].includes(status.status) && config.requires_org_agreement;
  if (status.text) {  // built from text nodes only: the document is never parsed as HTML
    document.getElementById("org-agreement-text").replaceChildren(renderMarkdown(status.text, { headingOffset: 2 }));
    document.getElementById("org-text-card").hidden = !config.requires_org_agreement;
  }
  form.hidden = !signing;
  back.hidden = signing;
  if (!config.requires_org_agreement) {
    notice(orgNotice, "info", "Not needed for this plan",
      [`${config.brand} does not ask for an organizational agreement: access does not wait for one.`], { focus: false });
  } else if (status.status === "rejected") {
    notice(orgNotice, "error", "Provider relations did not approve the agreement",
      [signedBy(status), "A supervisor, manager or owner of the group signs again below."].filter(Boolean), { focus: false });
  } else if (status.status === "pending") {
    notice(orgNotice, justSigned ? "success" : "info", justSigned ? "Agreement signed" : "Waiting for provider relations",
      [justSigned, signedBy(status), "Access opens by itself once it is approved. This page updates."].filter(Boolean),
      { focus: Boolean(justSigned) });
  } else if (status.status === "approved") {
    notice(orgNotice, "success", "The agreement is approved",
      [signedBy(status), `Everyone linked to ${status.group_name} gets access once their own steps are done.`].filter(Boolean),
      { focus: false });
  } else {
    orgNotice.hidden = true;
  }
}

/** The group's agreement status, or null (the problem is shown). */
async function load() {
  const answer = await api(`/agreements/organization/${encodeURIComponent(providerId)}`);
  if (!answer.ok) {
    notice(orgNotice, "error", answer.data.title, [answer.data.detail || "", backLink()].filter(Boolean));
    groupCard.hidden = true;
    form.hidden = true;
    return null;
  }
  return answer.data;
}

function localErrors(values, attested) {
  const errors = [];
  if (!values.signer_name || values.signer_name.length < 2) errors.push({ field: "signer_name", message: "Enter your full name." });
  if (!values.signer_title) errors.push({ field: "signer_title", message: "Choose your title: supervisor, manager or owner." });
  if (!attested) errors.push({ field: "attest", message: "Confirm that you are authorised to sign for the group." });
  return errors;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const values = formValues(form);
  const attested = document.getElementById("attest").checked;
  const errors = localErrors(values, attested);
  if (errors.length) {
    showProblem(form, { title: "Some fields need attention", detail: "Correct the fields marked below.", errors });
    return;
  }
  const restore = busy(submit, "Signing…");
  let answer;
  try {
    answer = await api("/agreements/organization", {
      method: "POST",
      body: { provider_id: providerId, signer_name: values.signer_name, signer_title: values.signer_title, attest: true },
    });
  } finally {
    restore();
  }
  if (!answer.ok) {
    showProblem(form, answer.data);
    if (answer.data.type === "/problems/org-agreement-exists") {
      const status = await load();
      if (status) render(status);
      form.hidden = true;
    }
    return;
  }
  const status = await load();
  if (status) render(status, answer.data.message);
  poll();
});

let polling = false;

/** While the agreement waits for provider relations, look again now and then. */
async function poll() {
  if (polling) return;
  polling = true;
  const started = Date.now();
  while (lastStatus === "pending") {
    await sleep(Date.now() - started < FAST_FOR_MS ? POLL_MS : SLOW_MS);
    const status = await load();
    if (!status) break;
    render(status);
  }
  polling = false;
}

if (!providerId) {
  notice(orgNotice, choices.length ? "info" : "error", "Which group?", choices.length
    ? ["Several of your groups wait for their organizational agreement. Choose one:", providerChoices("/org-agreement.html", choices)]
    : ["None of your group links waits for an organizational agreement. Open this page from your provider access page.", backLink()]);
} else {
  const status = await load();
  if (status) {
    render(status);
    poll();
  }
}
