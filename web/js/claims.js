// Claim status: find a claim by its number (it opens at once), a member's claims (member ID and date
// of birth) or a Provider ID's claims within dates of service; the results page on with "More
// claims". A claim opens on the same page (?claim=…&provider=…, the Provider ID acted for): its
// status, amounts, reason codes with their meanings, service lines and payment.

import { clearErrors, formValues, showProblem } from "./forms.js";
import { el } from "./dom.js";
import { lastDays, pagedList, plural } from "./paged-list.js";
import { facts, hideNotice, money, problemNotice, row, sayRefusal, statusTag, table, usDate } from "./portal-data.js";
import { actingForLinks, openPortalPage, providerChoice, providersActingFor, recordView } from "./portal-page.js";

const PAGE_SIZE = 20;
const DEFAULT_DAYS = 90; // the date range a search starts with
const STATUS = {
  received: ["Received", "closed"],
  pended: ["Pended", "pending"],
  paid: ["Paid", "ok"],
  denied: ["Denied", "error"],
  adjusted: ["Adjusted", "action"],
};
const PAYMENT_METHOD = { eft: "Electronic funds transfer (EFT)", check: "Check" };

const { pageNotice, live, actingFor } = await openPortalPage("Claim status", "claims");
const form = document.getElementById("claims-form");
const submit = document.getElementById("search");
const detail = document.getElementById("claim-detail");

function searchBy() {
  return form.querySelector('input[name="search_by"]:checked').value;
}

/** Show the inputs of the chosen search; the others are disabled, so not sent. */
function syncMode() {
  const by = searchBy();
  for (const part of form.querySelectorAll("[data-by]")) {
    const on = part.dataset.by.split(" ").includes(by);
    part.hidden = !on;
    for (const input of part.querySelectorAll("input, select")) input.disabled = !on;
  }
  submit.textContent = by === "claim" ? "Open claim" : "Find claims";
}

function claimAddress(claimId) {
  return `/claims.html?claim=${encodeURIComponent(claimId)}&provider=${encodeURIComponent(actingFor.value)}`;
}

/** The claim's dates of service: one date, or a range. */
function serviceDates(claim) {
  return claim.service_from === claim.service_to ? usDate(claim.service_from)
    : `${usDate(claim.service_from)} – ${usDate(claim.service_to)}`;
}

function claimRow(claim) {
  return el("tr", {},
    el("th", { scope: "row", className: "id" }, view.link(claimAddress(claim.claim_id), claim.claim_id)),
    el("td", {}, claim.member_name, el("span", { className: "hint" }, claim.member_id)),
    el("td", {}, serviceDates(claim)),
    el("td", { className: "id" }, claim.billing_provider_id),
    el("td", { className: "id" }, claim.rendering_provider_id || "—"),
    el("td", {}, statusTag(STATUS, claim.status)),
    el("td", { className: "num" }, money(claim.billed)),
    el("td", { className: "num" }, money(claim.paid)));
}

/** Field errors of the whole request (field "body") are shown at the field they are about. */
function placeErrors(problem) {
  const by = searchBy();
  const errors = (problem.errors || []).map((e) => {
    if (e.field !== "body") return e;
    if (/date of service|days of service/i.test(e.message || "")) return { ...e, field: "to_date" };
    if (by === "member") return { ...e, field: /date of birth/i.test(e.message || "") ? "birth_date" : "member_id" };
    return { ...e, field: by === "provider" ? "provider_id" : "claim_id" };
  });
  return { ...problem, errors };
}

function showFailure(answer) {
  const problem = sayRefusal(live, answer);
  if (answer.status === 422 && Array.isArray(problem.errors)) showProblem(form, placeErrors(problem));
  else problemNotice(pageNotice, problem, answer.status === 404 ? "warning" : "error");
}

const list = pagedList({
  kind: "claim",
  row: claimRow,
  part: "results",
  box: document.getElementById("results"),
  live,
  pageNotice,
  busyLabel: "Searching…",
  loading: ["Searching claims…", "Loading more claims…"],
  none: () => "No claims found for these dates of service.",
  some: (count) => `${plural(count, "claim")} shown`,
  focus: "a",
  failed: showFailure,
  settled: (append) => {
    if (!append) syncMode(); // the button's label follows the mode
  },
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  hideNotice(pageNotice);
  const body = formValues(form);
  delete body.search_by;
  if (searchBy() === "claim") {
    const claimId = (body.claim_id || "").toUpperCase();
    if (!claimId) {
      showProblem(form, { title: "Some fields need attention", errors: [{ field: "claim_id", message: "Enter the claim number." }] });
      return;
    }
    await view.open(claimAddress(claimId));
    return;
  }
  delete body.claim_id;
  await list.search({ ...body, page_size: PAGE_SIZE }, true);
});

function reasonList(reasons, className = "reason-list") {
  if (!reasons || !reasons.length) return null;
  return el("ul", { className }, ...reasons.map((r) => el("li", {},
    el("span", { className: "reason-code" }, `${r.kind} ${r.code}`), " ", el("span", { className: "reason-meaning" }, r.meaning))));
}

function paymentPart(payment) {
  if (!payment) return el("p", { className: "empty", id: "payment" }, "No payment has been issued for this claim.");
  const part = facts([
    ["Method", PAYMENT_METHOD[payment.method] || payment.method],
    [payment.method === "check" ? "Check number" : "Trace number", payment.number],
    ["Date", usDate(payment.date)],
    ["Amount", money(payment.amount)],
  ]);
  part.id = "payment";
  return part;
}

function phoneLink(phone) {
  return el("a", { href: `tel:${String(phone).replace(/[^0-9+]/g, "")}` }, phone);
}

function renderDetail(claim) {
  const heading = el("h2", { id: "claim-heading", tabindex: "-1" }, `Claim ${claim.claim_id} `,
    statusTag(STATUS, claim.status));
  // Each service line, and under it (when it has any) its reason codes with their meanings.
  const lines = claim.lines.flatMap((line) => {
    const amounts = [
      { th: String(line.sequence) },
      [line.procedure_code, ...(line.modifiers || [])].join("-"),
      usDate(line.service_date),
      { num: String(line.units) },
      { num: money(line.billed) },
      { num: money(line.allowed) },
      { num: money(line.paid) },
      { num: money(line.patient_responsibility) },
    ];
    const reasons = reasonList(line.reasons, "reason-list compact");
    if (!reasons) return [row(amounts)];
    return [row(amounts, "has-reasons"), el("tr", { className: "line-reasons" }, el("td", {}),
      el("td", { colSpan: 7 }, el("span", { className: "visually-hidden" }, `Reasons for line ${line.sequence}:`), reasons))];
  });
  detail.replaceChildren(
    el("section", { className: "card", "aria-labelledby": "claim-heading" },
      heading,
      el("p", { className: "lead-small", id: "status-text" }, claim.status_text),
      el("div", { className: "columns" },
        facts([["Member", `${claim.member_name} (${claim.member_id})`], ["Billing provider", claim.billing_provider_id],
          ["Rendering provider", claim.rendering_provider_id], ["Dates of service", serviceDates(claim)],
          ["Received", usDate(claim.received_on)]]),
        facts([["Billed", money(claim.billed)], ["Allowed", money(claim.allowed)], ["Paid", money(claim.paid)],
          ["Patient responsibility", money(claim.patient_responsibility)]])),
      claim.reasons.length ? el("h3", {}, "Claim reasons") : null,
      reasonList(claim.reasons)),
    el("section", { className: "card", "aria-labelledby": "lines-heading" },
      el("h3", { id: "lines-heading" }, "Service lines"),
      table(`Service lines of claim ${claim.claim_id}`,
        ["Line", "Procedure", "Date", { num: "Units" }, { num: "Billed" }, { num: "Allowed" }, { num: "Paid" },
          { num: "Patient responsibility" }],
        lines, { id: "claim-lines" })),
    el("section", { className: "card", "aria-labelledby": "payment-heading" },
      el("h3", { id: "payment-heading" }, "Payment"),
      paymentPart(claim.payment)),
    el("p", { className: "notice", id: "claim-phone" }, "Questions about a processed claim? Call Customer Services at ",
      phoneLink(claim.customer_service_phone), "."));
  live.textContent = `Claim ${claim.claim_id}: ${claim.status_text}`;
  heading.focus();
}

/** The view the address names: a claim (?claim=…) or the search, with its results as they were left. */
const view = recordView({
  param: "claim",
  mark: "fromSearch",
  page: "/claims.html",
  listView: document.getElementById("search-view"),
  detailView: document.getElementById("detail-view"),
  detail,
  live,
  pageNotice,
  actingFor,
  collection: "claims",
  loading: "Loading the claim…",
  show: renderDetail,
  failed: (answer, claimId) => { // back to the search, with the number to correct
    form.querySelector('input[name="search_by"][value="claim"]').checked = true;
    syncMode();
    document.getElementById("claim_id").value = claimId;
    showFailure(answer);
  },
  before: () => clearErrors(form),
});

/** "By Provider ID" offers every provider whose claims are open acting for the chosen Provider ID: it
 * first, then (for a group) each provider under its Tax ID. */
async function fillProviderChoice() {
  const providerSelect = document.getElementById("provider_id");
  const open = await providersActingFor(actingFor.value);
  providerSelect.replaceChildren(...open.map((p) => el("option", { value: p.provider_id }, providerChoice(p))));
  providerSelect.value = actingFor.value;
}

const links = await actingForLinks(pageNotice, "claims");
if (links) {
  await fillProviderChoice();
  actingFor.addEventListener("change", fillProviderChoice);
  lastDays(DEFAULT_DAYS);
  for (const radio of form.querySelectorAll('input[name="search_by"]')) {
    radio.addEventListener("change", () => {
      syncMode();
      clearErrors(form);
    });
  }
  syncMode();
  await view.route();
}
