// Link the account to a Provider ID: Practitioner (names, Tax ID, provider number, ZIP) or Group
// (group name, Tax ID, Provider ID, ZIP), and - to become a Provider ID's first administrator - a recent
// payment from the plan (check or EFT trace number and total), or nothing, and provider relations verify
// (plans whose staff always verify show no payment fields). The API matches the roster and says nothing
// about which field was wrong; its one message is shown as it comes. Then on to the access status.

import { api, goTo } from "./api.js";
import { busy, clearErrors, formValues, showProblem } from "./forms.js";
import { el } from "./dom.js";
import { initPage } from "./page.js";
import { headerSignOut, requireSession } from "./session.js";

headerSignOut((problem) => showProblem(document.getElementById("main"), problem));
const config = await initPage("Link a Provider ID");
await requireSession(["full"]);

const form = document.getElementById("link-form");
const details = document.getElementById("details");
const submit = document.getElementById("link-submit");
const numberLabel = document.getElementById("provider_number-label");
const numberHint = document.getElementById("provider_number-hint");
const zipLabel = config.zip_label || "ZIP";
const practitionerNumber = config.provider_number_label || "Provider ID";

document.getElementById("zip-label").textContent = zipLabel;
const proof = document.getElementById("proof");
const proofKind = config.first_admin_proof || "payment_or_staff";
const asksPayment = proofKind === "payment_or_staff";
for (const part of proof.querySelectorAll("[data-proof]")) {
  part.hidden = (part.dataset.proof === "payment") !== asksPayment;
  for (const input of part.querySelectorAll("input")) input.disabled = !asksPayment;
}
for (const span of proof.querySelectorAll("[data-proof-days]")) span.textContent = config.payment_proof_days || 180;
for (const span of proof.querySelectorAll("[data-staff-days]")) {
  span.textContent = config.staff_verification_business_days || 10;
}
for (const span of document.querySelectorAll("[data-number-label]")) span.textContent = practitionerNumber;
for (const part of document.querySelectorAll("[data-first-admin]")) part.hidden = part.dataset.firstAdmin !== proofKind;
document.title = document.title.replace("Provider ID", practitionerNumber); // the plan's word, everywhere

const TYPES = {
  practitioner: {
    legend: "The practitioner's details on file with the plan",
    number: practitionerNumber,
    numberHint: `The practitioner's ${practitionerNumber}, as it appears on your letters from the plan.`,
  },
  group: {
    legend: "The group's details on file with the plan",
    number: practitionerNumber,
    numberHint: `The group's ${practitionerNumber}, as it appears on your letters from the plan.`,
  },
};

function chosenType() {
  const checked = form.querySelector("input[name=provider_type]:checked");
  return checked ? checked.value : null;
}

/** Show the fields of the chosen type; the other type's fields are disabled, so they are not sent. */
function showType(type) {
  const shape = TYPES[type];
  details.hidden = !shape;
  proof.hidden = !shape || proofKind === "org_agreement";
  if (!shape) return;
  document.getElementById("details-legend").textContent = shape.legend;
  numberLabel.textContent = shape.number;
  numberHint.textContent = shape.numberHint;
  for (const part of form.querySelectorAll("[data-for]")) {
    const mine = part.dataset.for === type;
    part.hidden = !mine;
    for (const input of part.querySelectorAll("input")) input.disabled = !mine;
  }
}

for (const radio of form.querySelectorAll("input[name=provider_type]")) {
  radio.addEventListener("change", () => {
    clearErrors(form);
    showType(chosenType());
  });
}
showType(chosenType()); // a choice the browser restored

function accessLink(text) {
  return el("p", {}, el("a", { href: "/access.html" }, text));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  if (!chosenType()) { // the type's fields show once it is chosen: nothing else to say yet
    showProblem(form, { title: "Some fields need attention", detail: "Correct the fields marked below.",
      errors: [{ field: "provider_type", message: "Choose Practitioner or Group." }] });
    return;
  }
  // Every other check is the API's, answered for all fields at once (its words, as the plan has them).
  const { payment_number: number, payment_amount: amount, ...body } = formValues(form);
  if (number || amount) { // one without the other is sent too: the API names the one missing
    body.payment = { ...(number ? { number } : {}), ...(amount ? { amount: amount.replace(/[$,]/g, "") } : {}) };
  }
  const restore = busy(submit, "Checking…");
  let answer;
  try {
    answer = await api("/links", { method: "POST", body });
  } finally {
    restore();
  }
  if (answer.ok) {
    await goTo(`/access.html?linked=${encodeURIComponent(answer.data.provider_id)}`);
    return;
  }
  const problem = answer.data;
  const extra = problem.type === "/problems/already-linked" || problem.type === "/problems/link-in-progress"
    ? [accessLink("See your provider access")]
    : [];
  showProblem(form, problem, extra);
});

submit.disabled = false; // ready: the page checks and sends the form itself
