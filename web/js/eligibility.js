// Eligibility and benefits: the member (member ID, or last and first name, with the date of birth) on
// a date of service, checked acting for one of the user's Provider IDs. The answer is a card: covered
// or not with the plan's message, the coverage in force, the primary care provider, the benefits and
// the member's other coverage periods. "No member found" is a notice, never a hint of which field
// was wrong (the API answers an unknown member and a near miss alike).

import { api } from "./api.js";
import { clearErrors, formValues, showProblem, whileBusy } from "./forms.js";
import { el } from "./dom.js";
import { facts, hideNotice, isoDay, money, problemNotice, sayRefusal, table, tag, usDate, usRange } from "./portal-data.js";
import { actingForLinks, openPortalPage } from "./portal-page.js";

const { pageNotice, live } = await openPortalPage("Eligibility and benefits", "eligibility");
const form = document.getElementById("eligibility-form");
const result = document.getElementById("result");
const submit = document.getElementById("check");
const serviceDate = document.getElementById("service_date");

if (await actingForLinks(pageNotice, "eligibility")) {
  serviceDate.defaultValue = isoDay(); // what Clear puts back too
  serviceDate.value = isoDay();
  form.hidden = false;
}

function searchBy() {
  return form.querySelector('input[name="search_by"]:checked').value;
}

/** Show the inputs of the chosen way to find the member; the others are disabled, so not sent. */
function syncMode() {
  const by = searchBy();
  for (const part of form.querySelectorAll("[data-by]")) {
    const on = part.dataset.by === by;
    part.hidden = !on;
    for (const input of part.querySelectorAll("input")) input.disabled = !on;
  }
}

for (const radio of form.querySelectorAll('input[name="search_by"]')) radio.addEventListener("change", syncMode);
form.addEventListener("reset", () => {
  setTimeout(syncMode); // after the browser has put the defaults back
  clearErrors(form);
  hideNotice(pageNotice);
  result.hidden = true;
  live.textContent = "";
});
syncMode();

function benefitRows(benefits) {
  return benefits.map((b) => [{ th: b.label }, { num: money(b.amount) }, { num: b.used === null || b.used === undefined ? "—" : money(b.used) },
    { num: b.remaining === null || b.remaining === undefined ? "—" : money(b.remaining) }]);
}

function pcpText(pcp) {
  if (!pcp) return null;
  return pcp.name ? `${pcp.name} (Provider ID ${pcp.provider_id})` : `Provider ID ${pcp.provider_id}`;
}

function coverageFacts(coverage) {
  return facts([
    ["Plan", coverage.plan],
    ["Product", coverage.product],
    ["Group", coverage.group_id],
    ["Coverage dates", usRange(coverage.start, coverage.end)],
    ["Primary care provider", pcpText(coverage.primary_care_provider)],
  ]);
}

function render(answer) {
  const member = answer.member;
  const covered = answer.status === "covered";
  const name = `${member.first_name} ${member.last_name}`;
  const heading = el("h2", { id: "result-heading", tabindex: "-1" }, name, " ",
    tag(covered ? "Covered" : "Not covered", covered ? "ok" : "error"));
  const parts = [
    heading,
    el("p", { className: `result-message ${covered ? "covered" : "not-covered"}`, id: "result-message" }, answer.message),
    facts([["Member ID", member.member_id], ["Date of birth", usDate(member.birth_date)],
      ["Date of service", usDate(answer.service_date)]]),
  ];
  const coverage = answer.coverage;
  if (coverage) {
    parts.push(el("h3", {}, "Coverage on the date of service"), coverageFacts(coverage));
    if (coverage.benefits.length) {
      parts.push(el("h3", {}, "Benefits"),
        table("Benefits of this coverage: the amount, what the member has used this period and what remains",
          ["Benefit", { num: "Amount" }, { num: "Used" }, { num: "Remaining" }], benefitRows(coverage.benefits), { id: "benefits" }));
    }
  }
  const others = answer.other_periods || [];
  if (others.length) {
    parts.push(el("h3", {}, covered ? "Other coverage periods" : "Coverage periods"),
      table("The member's other coverage periods with the plan", ["Plan", "Product", "Start", "End", "Primary care provider"],
        others.map((c) => [{ th: c.plan }, c.product, usDate(c.start), c.end ? usDate(c.end) : "ongoing",
          pcpText(c.primary_care_provider) || "—"]), { id: "other-periods" }));
  } else if (!coverage) {
    parts.push(el("p", { className: "empty" }, "The member has no coverage periods on file."));
  }
  result.replaceChildren(...parts);
  result.className = `card result ${covered ? "covered" : "not-covered"}`;
  result.hidden = false;
  live.textContent = `${name}: ${answer.message}`;
  heading.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  hideNotice(pageNotice);
  result.hidden = true;
  const body = formValues(form);
  delete body.search_by;
  live.textContent = "Checking eligibility…";
  const answer = await whileBusy(submit, "Checking…", () => api("/eligibility", { method: "POST", body }));
  if (answer.ok) {
    render(answer.data);
    return;
  }
  const problem = sayRefusal(live, answer);
  if (answer.status === 422 && Array.isArray(problem.errors)) {
    // "Enter the member ID, or the member's last and first name" (on member_id when neither was sent) is
    // shown at the first field of the way the user chose to find the member.
    const at = searchBy() === "name" ? "last_name" : "member_id";
    const errors = problem.errors.map((e) => (e.field === "body" || e.field === "member_id" ? { ...e, field: at } : e));
    showProblem(form, { ...problem, errors });
  } else if (problem.type === "/problems/member-not-found") {
    problemNotice(pageNotice, problem, "warning");
  } else {
    problemNotice(pageNotice, problem, "error");
  }
});
