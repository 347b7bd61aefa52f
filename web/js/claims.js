// Claim status: find a claim by its number (it opens at once), a member's claims (member ID and date
// of birth) or a Provider ID's claims within dates of service; the results page on with "More
// claims". A claim opens on the same page (?claim=…&provider=…, the Provider ID acted for): its
// status, amounts, reason codes with their meanings, service lines and payment.

import { api } from "./api.js";
import { busy, clearErrors, formValues, showProblem } from "./forms.js";
import { el } from "./dom.js";
import { providerParam } from "./links.js";
import { initPage } from "./page.js";
import {
  activeLinks, facts, fillActingFor, hideNotice, isoDay, money, noAccessNotice, problemNotice, row, table, tag, usDate,
} from "./portal-data.js";
import { headerSignOut, requireSession } from "./session.js";

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

const main = document.getElementById("main");
headerSignOut((problem) => showProblem(main, problem));
await initPage("Claim status");
await requireSession(["full"]);

const form = document.getElementById("claims-form");
const pageNotice = document.getElementById("claims-notice");
const live = document.getElementById("claims-status");
const searchView = document.getElementById("search-view");
const detailView = document.getElementById("detail-view");
const detail = document.getElementById("claim-detail");
const results = document.getElementById("results");
const resultsHeading = document.getElementById("results-heading");
const resultsSummary = document.getElementById("results-summary");
const rows = document.getElementById("claim-rows");
const more = document.getElementById("more");
const submit = document.getElementById("search");
const actingFor = document.getElementById("acting_for");
const providerSelect = document.getElementById("provider_id");

let lastSearch = null; // the body of the search shown, to ask for its next page
let nextCursor = null;
let shownCount = 0;

function statusTag(status) {
  const [label, kind] = STATUS[status] || [String(status), "closed"];
  return tag(label, kind);
}

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

function claimLink(claimId) {
  const link = el("a", { href: claimAddress(claimId) }, claimId);
  link.addEventListener("click", (event) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    history.pushState({ fromSearch: true }, "", link.getAttribute("href"));
    route();
  });
  return link;
}

function claimRow(claim) {
  return el("tr", {},
    el("th", { scope: "row", className: "id" }, claimLink(claim.claim_id)),
    el("td", {}, claim.member_name, el("span", { className: "hint" }, claim.member_id)),
    el("td", {}, claim.service_from === claim.service_to ? usDate(claim.service_from)
      : `${usDate(claim.service_from)} – ${usDate(claim.service_to)}`),
    el("td", { className: "id" }, claim.billing_provider_id),
    el("td", { className: "id" }, claim.rendering_provider_id || "—"),
    el("td", {}, statusTag(claim.status)),
    el("td", { className: "num" }, money(claim.billed)),
    el("td", { className: "num" }, money(claim.paid)));
}

function showResults(page, append) {
  if (!append) {
    rows.replaceChildren();
    shownCount = 0;
  }
  rows.append(...page.claims.map(claimRow));
  shownCount += page.claims.length;
  nextCursor = page.next_cursor || null;
  more.hidden = !nextCursor;
  const said = shownCount === 0 ? "No claims found for these dates of service."
    : `${shownCount} claim${shownCount === 1 ? "" : "s"} shown${nextCursor ? "; more are available" : ""}.`;
  resultsSummary.textContent = said;
  document.getElementById("results-wrap").hidden = shownCount === 0;
  results.hidden = false;
  live.textContent = said;
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
  const problem = answer.data;
  live.textContent = problem.title || "";
  if (answer.status === 422 && Array.isArray(problem.errors)) showProblem(form, placeErrors(problem));
  else problemNotice(pageNotice, problem, answer.status === 404 ? "warning" : "error");
}

async function search(body, append) {
  const restore = busy(append ? more : submit, append ? "Loading…" : "Searching…");
  live.textContent = append ? "Loading more claims…" : "Searching claims…";
  let answer;
  try {
    answer = await api("/claims/search", { method: "POST", body });
  } finally {
    restore();
    if (!append) syncMode(); // the button's label follows the mode
  }
  if (!answer.ok) {
    if (!append) results.hidden = true;
    showFailure(answer);
    return;
  }
  showResults(answer.data, append);
  if (!append) resultsHeading.focus();
  else {
    const firstNew = rows.children[shownCount - answer.data.claims.length];
    const link = firstNew && firstNew.querySelector("a");
    if (link) link.focus();
  }
}

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
    history.pushState({ fromSearch: true }, "", claimAddress(claimId));
    await route();
    return;
  }
  delete body.claim_id;
  lastSearch = { ...body, page_size: PAGE_SIZE };
  await search(lastSearch, false);
});

more.addEventListener("click", async () => {
  if (!lastSearch || !nextCursor) return;
  hideNotice(pageNotice);
  await search({ ...lastSearch, cursor: nextCursor }, true);
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
  const heading = el("h2", { id: "claim-heading", tabindex: "-1" }, `Claim ${claim.claim_id} `, statusTag(claim.status));
  const dates = claim.service_from === claim.service_to ? usDate(claim.service_from)
    : `${usDate(claim.service_from)} – ${usDate(claim.service_to)}`;
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
          ["Rendering provider", claim.rendering_provider_id], ["Dates of service", dates],
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

/** The view the address names: a claim (?claim=…) or the search. */
async function route() {
  const params = new URLSearchParams(window.location.search);
  const claimId = params.get("claim");
  clearErrors(form);
  hideNotice(pageNotice);
  if (!claimId) {
    detailView.hidden = true;
    searchView.hidden = false;
    return;
  }
  const acting = (providerParam() || actingFor.value).toUpperCase();
  if ([...actingFor.options].some((o) => o.value === acting)) actingFor.value = acting;
  searchView.hidden = true;
  detailView.hidden = false;
  detail.replaceChildren(el("p", { className: "empty" }, "Loading the claim…"));
  live.textContent = "Loading the claim…";
  const answer = await api(`/claims/${encodeURIComponent(claimId)}?acting_for=${encodeURIComponent(actingFor.value)}`);
  if (answer.ok) {
    renderDetail(answer.data);
    return;
  }
  // Not found (or not open to you): back to the search, with the number to correct.
  history.replaceState(null, "", "/claims.html");
  detailView.hidden = true;
  searchView.hidden = false;
  form.querySelector('input[name="search_by"][value="claim"]').checked = true;
  syncMode();
  document.getElementById("claim_id").value = claimId;
  showFailure(answer);
}

document.getElementById("back").addEventListener("click", (event) => {
  if (history.state && history.state.fromSearch) {
    event.preventDefault();
    history.back(); // the search and its results are still on the page
  }
});
window.addEventListener("popstate", route);

const links = await activeLinks();
if (links === null) {
  problemNotice(pageNotice, { title: "Your Provider IDs could not be loaded", detail: "Reload the page in a moment." });
} else if (!links.length) {
  noAccessNotice(pageNotice);
} else {
  fillActingFor(actingFor, links, providerParam());
  providerSelect.replaceChildren(...links.map((link) => el("option", { value: link.provider_id },
    `${link.provider_id} – ${link.provider_name}`)));
  providerSelect.value = actingFor.value;
  actingFor.addEventListener("change", () => { providerSelect.value = actingFor.value; });
  document.getElementById("from_date").value = isoDay(-DEFAULT_DAYS);
  document.getElementById("to_date").value = isoDay();
  for (const radio of form.querySelectorAll('input[name="search_by"]')) {
    radio.addEventListener("change", () => {
      syncMode();
      clearErrors(form);
    });
  }
  syncMode();
  await route();
}
