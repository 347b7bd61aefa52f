// Prior authorizations: a provider asks the plan to approve services before they are performed (member
// ID and date of birth, requesting and servicing Provider IDs, service lines of a CPT/HCPCS code and
// units, ICD-10-CM diagnosis codes, the service dates and the urgency, which sets the plan's decision
// clock: 72 hours expedited, 7 calendar days standard). The list shows the requests of the Provider ID
// acted for (submitted in a date range, paged with "More requests"), each with its status and when the
// decision is due; a request opens on the same page (?authorization=PA-…) with its history, the
// decision and the units approved per line, a form to send the information the plan asked for, and
// "Withdraw" while it is open. It says how the request came in (these pages, the practice's own system
// over FHIR, or the plan's records) and links an appeal and the request it appeals; a denial or partial
// approval of the user's own practice without an appeal yet offers "Appeal this decision", which sends
// the appeal (a new request on its own decision clock) and opens it.
//
// A submission carries an Idempotency-Key made once per form fill: a retry of the same submission
// (after a lost answer, say) sends the same key and gets the same request back, never a second one.

import { api } from "./api.js";
import { attachmentList, checkFiles, fileField, filesToSend, onFileField } from "./attachments.js";
import { clearErrors, formValues, showProblem, whileBusy, withPageErrors } from "./forms.js";
import { el, notice } from "./dom.js";
import { lastDays, pagedList, plural } from "./paged-list.js";
import {
  facts, hideNotice, isoDay, problemNotice, sayRefusal, statusTag, tag, usDate, usDateTime,
} from "./portal-data.js";
import { actingForLinks, featureGate, fetchRecord, followActingFor, openPortalPage, recordView } from "./portal-page.js";

const PAGE_SIZE = 25;
const DEFAULT_DAYS = 30; // the submission dates the list starts with
const DEFAULT_SERVICE_DAYS = 30; // the service dates a new request starts with
const MAX_LINES = 20;
const MAX_DIAGNOSES = 12;
const URGENCY = { expedited: "Expedited", standard: "Standard" };
const CLOCK = { expedited: "within 72 hours", standard: "within 7 calendar days" };
const STATUS = {
  pending: ["Pending", "pending"],
  more_info_requested: ["More information requested", "action"],
  approved: ["Approved", "ok"],
  partially_approved: ["Partially approved", "ok"],
  denied: ["Denied", "error"],
  withdrawn: ["Withdrawn", "closed"],
};
const OPEN = new Set(["pending", "more_info_requested"]);
const APPEALABLE = new Set(["denied", "partially_approved"]);
// How a request reached the plan (`door`): in full on its page, in short in the list.
const DOOR = {
  portal: "Sent from these pages",
  api: "Sent from your practice's system (FHIR)",
  import: "From the plan's records",
};
const DOOR_SHORT = { api: "Your system (FHIR)", import: "Plan's records" };
const FROM_LIST = "fromList"; // the history mark of a request opened on this page (the back link goes back)
const BY = { provider: "Provider", plan: "Plan" };

const { pageNotice, live, actingFor } = await openPortalPage("Prior authorizations", "auth");
const linkTypes = new Map(); // Provider ID → "group" | "practitioner", of the user's active links
const detailView = document.getElementById("detail-view");
const detail = document.getElementById("authorization-detail");
const requestForm = document.getElementById("request-form");
const requestResult = document.getElementById("request-result");
// Files sent with the request: after the clinical notes
const requestFiles = fileField("attachments", "Attachments (optional)");
requestForm.querySelector('[data-field="clinical_notes"]').after(requestFiles.box);
const requesting = document.getElementById("requesting_provider_id");
const lineList = document.getElementById("service-lines");
const addLine = document.getElementById("add-line");
const diagnosisList = document.getElementById("diagnosis-codes");
const addDiagnosis = document.getElementById("add-diagnosis");

let submissionKey = null; // the Idempotency-Key of the form as filled; a change makes the next submission new
let maySend = () => false; // whether the link acted for gives sending requests (set at the start)

const visuallyHidden = (text) => el("span", { className: "visually-hidden" }, text);

// ---- Words ----

function statusTags(authorization) {
  const tags = [statusTag(STATUS, authorization.status)];
  if (authorization.overdue) tags.push(tag("Overdue", "error"));
  return tags;
}

function decisionText(authorization) {
  if (OPEN.has(authorization.status)) return `Decision due ${usDateTime(authorization.due_at)}`;
  if (authorization.status === "withdrawn") return `Withdrawn ${usDateTime(authorization.decided_at)}`;
  return `Decided ${usDateTime(authorization.decided_at)}`;
}

/** How the request came in, with the submitting system's own number when it gave one. */
function doorText(authorization) {
  const said = DOOR[authorization.door] || "";
  return authorization.trace_number ? `${said}, trace number ${authorization.trace_number}` : said;
}

/**
 * Whether the user's practice sent the request (only it may appeal). Acting for a practitioner that is
 * exact; a group acts for every provider under its Tax ID, which the page does not know, so there the
 * form is offered and the API's answer says who may appeal when it is another practice.
 */
function sentByUs(authorization) {
  if (authorization.requesting_provider_id === actingFor.value) return true;
  return linkTypes.get(actingFor.value) === "group";
}

function linesText(lines) {
  return lines.map((line) => `${line.code} × ${line.units}`).join(", ");
}

const EVENTS = {
  submitted: "Request submitted",
  appealed: "Appeal submitted",
  information_sent: "Information sent",
  pended: "Under review by the plan",
  more_info_requested: "More information requested",
  approved: "Approved",
  partially_approved: "Partially approved",
  denied: "Denied",
  withdrawn: "Withdrawn",
};

/** A history event ("information_sent") as words ("Information sent"). */
function eventText(event) {
  if (EVENTS[event]) return EVENTS[event];
  const text = String(event || "").replace(/[_-]+/g, " ").trim();
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : "Update";
}

function authorizationAddress(authorizationId) {
  const params = new URLSearchParams({ authorization: authorizationId });
  if (actingFor.options.length > 1) params.set("provider", actingFor.value);
  return `/authorizations.html?${params}`;
}

/** The answer when the chosen files could not be read (to send them). */
/**
 * Post a follow-up form of a request (`step`: information, appeal) with its files; the page's own file
 * checks are merged with the API's answer, so every error shows in one round.
 */
async function sendWithFiles(authorization, step, form, files, send) {
  const fileErrors = checkFiles(files.input);
  return withPageErrors(await whileBusy(send, "Sending…", async () => {
    const body = { acting_for: actingFor.value, ...formValues(form) };
    if (files.input.files.length) body.attachments = await filesToSend(files.input, fileErrors);
    return api(`/authorizations/${encodeURIComponent(authorization.authorization_id)}/${step}`, { method: "POST", body });
  }).catch(filesUnread), fileErrors);
}

function filesUnread() {
  return { ok: false, status: 0, data: { title: "The files could not be read", detail: "Choose them again." } };
}

/** A fresh Idempotency-Key (8–64 of A–Z a–z 0–9 _ . : -). */
function newKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- Rows of the request form: service lines and diagnosis codes, added and removed ----

function entryField(name, labelText, input) {
  const label = el("label", { htmlFor: input.id }, labelText, visuallyHidden(""));
  const error = el("p", { className: "field-error", hidden: true });
  return el("div", { className: "field", "data-field": name }, label, error, input);
}

function removeButton(onRemove) {
  const button = el("button", { type: "button", className: "link-button remove-row" }, "Remove", visuallyHidden(""));
  button.addEventListener("click", onRemove);
  return button;
}

/** Give each row its index: field names as the API reports errors (service_lines.0.code), ids, labels. */
function renumber() {
  const lines = [...lineList.children];
  lines.forEach((li, index) => {
    const n = index + 1;
    for (const part of ["code", "units"]) {
      const box = li.querySelector(`[data-part="${part}"]`);
      box.dataset.field = `service_lines.${index}.${part}`;
      const input = box.querySelector("input");
      const wasInvalid = input.getAttribute("aria-invalid") === "true";
      input.id = `line-${index}-${part}`;
      box.querySelector("label").htmlFor = input.id;
      box.querySelector("label .visually-hidden").textContent = ` on line ${n}`;
      box.querySelector(".field-error").id = `${input.id}-error`;
      if (wasInvalid) input.setAttribute("aria-describedby", `${input.id}-error`);
    }
    li.querySelector(".remove-row .visually-hidden").textContent = ` service line ${n}`;
    li.querySelector(".remove-row").hidden = lines.length < 2;
  });
  addLine.disabled = lines.length >= MAX_LINES;
  const codes = [...diagnosisList.children];
  codes.forEach((li, index) => {
    const n = index + 1;
    const box = li.querySelector("[data-field]");
    box.dataset.field = `diagnosis_codes.${index}`;
    const input = box.querySelector("input");
    const wasInvalid = input.getAttribute("aria-invalid") === "true";
    input.id = `diagnosis-${index}`;
    box.querySelector("label").htmlFor = input.id;
    box.querySelector("label .visually-hidden").textContent = n === 1 ? " (primary)" : ` ${n}`;
    box.querySelector(".field-error").id = `${input.id}-error`;
    if (wasInvalid) input.setAttribute("aria-describedby", `${input.id}-error`);
    li.querySelector(".remove-row .visually-hidden").textContent = ` diagnosis code ${n}`;
    li.querySelector(".remove-row").hidden = codes.length < 2;
  });
  addDiagnosis.disabled = codes.length >= MAX_DIAGNOSES;
}

function removeRow(li, list, fallback, what) {
  const index = [...list.children].indexOf(li);
  li.remove();
  renumber();
  submissionKey = null;
  const rest = [...list.children];
  const next = rest[Math.min(index, rest.length - 1)];
  (next ? next.querySelector("input") : fallback).focus();
  live.textContent = `${what} removed; ${rest.length} left.`;
}

function serviceLine(code = "", units = "1") {
  const codeInput = el("input", { type: "text", className: "code-input-short", autocomplete: "off", autocapitalize: "characters",
    spellcheck: false, maxLength: 5, value: code });
  const unitsInput = el("input", { type: "number", className: "units-input", min: "1", max: "999", step: "1",
    inputMode: "numeric", value: units });
  const codeBox = entryField("", "Procedure code", codeInput);
  codeBox.dataset.part = "code";
  const unitsBox = entryField("", "Units", unitsInput);
  unitsBox.dataset.part = "units";
  const li = el("li", { className: "entry-row service-line" }, codeBox, unitsBox);
  li.append(removeButton(() => removeRow(li, lineList, addLine, "Service line")));
  return li;
}

function diagnosisRow(code = "") {
  const input = el("input", { type: "text", className: "code-input-short", autocomplete: "off", autocapitalize: "characters",
    spellcheck: false, maxLength: 8, value: code });
  const li = el("li", { className: "entry-row diagnosis" }, entryField("", "Diagnosis code", input));
  li.append(removeButton(() => removeRow(li, diagnosisList, addDiagnosis, "Diagnosis code")));
  return li;
}

function addRow(li, list, what) {
  list.append(li);
  renumber();
  submissionKey = null;
  li.querySelector("input").focus();
  live.textContent = `${what} ${list.children.length} added.`;
}

addLine.addEventListener("click", () => addRow(serviceLine(), lineList, "Service line"));
addDiagnosis.addEventListener("click", () => addRow(diagnosisRow(), diagnosisList, "Diagnosis code"));

function resetRows() {
  lineList.replaceChildren(serviceLine());
  diagnosisList.replaceChildren(diagnosisRow());
  renumber();
}

/**
 * The service lines and diagnosis codes to send: rows left empty are skipped (unless all are), and
 * `lineRows`/`codeRows` say which row each one sent came from, to put the API's errors next to it.
 */
function entries() {
  const lineItems = [...lineList.children].map((li, index) => {
    const code = li.querySelector('[data-part="code"] input').value.trim().toUpperCase();
    const units = li.querySelector('[data-part="units"] input').value.trim();
    return { index, code, units };
  });
  let sentLines = lineItems.filter((item) => item.code);
  if (!sentLines.length) sentLines = lineItems.slice(0, 1);
  const codeItems = [...diagnosisList.children].map((li, index) => ({
    index, code: li.querySelector("input").value.trim().toUpperCase() }));
  const sentCodes = codeItems.filter((item) => item.code);
  return {
    service_lines: sentLines.map((item) => ({
      code: item.code || undefined, units: item.units === "" ? undefined : Number(item.units) })),
    diagnosis_codes: sentCodes.map((item) => item.code),
    lineRows: sentLines.map((item) => item.index),
    codeRows: sentCodes.map((item) => item.index),
  };
}

// A code that does not have the form of one, said in words (never as the validator's pattern).
const CODE_FORM = {
  code: "Enter a CPT code (5 digits) or a HCPCS code (a letter and 4 digits).",
  diagnosis: "Enter an ICD-10-CM code, such as M25.561.",
};

function codeMessage(error, which) {
  return error.code === "string_pattern_mismatch" ? CODE_FORM[which] : error.message;
}

/** The API's field names (of what was sent) → the fields on the page that show them. */
function placeRequestErrors(problem, sent) {
  const errors = (problem.errors || []).map((error) => {
    const field = String(error.field || "body");
    let match = /^service_lines\.(\d+)(?:\.(code|units))?/.exec(field);
    if (match) {
      const row = sent.lineRows[Number(match[1])] ?? Number(match[1]);
      const part = match[2] || "code";
      return { ...error, field: `service_lines.${row}.${part}`,
        message: part === "code" ? codeMessage(error, "code") : error.message };
    }
    match = /^diagnosis_codes\.(\d+)/.exec(field);
    if (match) {
      return { ...error, field: `diagnosis_codes.${sent.codeRows[Number(match[1])] ?? Number(match[1])}`,
        message: codeMessage(error, "diagnosis") };
    }
    if (field === "diagnosis_codes" && !sent.diagnosis_codes.length) {
      return { ...error, field: "diagnosis_codes.0", message: "Enter at least one diagnosis code." };
    }
    if (field === "acting_for" || field === "provider_id") return { ...error, field: "requesting_provider_id" };
    if (field === "body") {
      return { ...error, field: /servic/i.test(error.message || "") ? "servicing_provider_id"
        : /provider/i.test(error.message || "") ? "requesting_provider_id" : "member_id" };
    }
    return error;
  });
  return { ...problem, errors };
}

// ---- The list ----

function openLink(authorization) {
  return requestLink(authorization.authorization_id);
}

/** A link that opens the request `authorizationId` on this page. */
function requestLink(authorizationId) {
  return view.link(authorizationAddress(authorizationId), authorizationId);
}

/** Under the number in the list: an appeal, or a request that did not come from these pages. */
function rowHint(authorization) {
  const said = authorization.appeal_of ? "Appeal" : DOOR_SHORT[authorization.door];
  return said ? el("span", { className: "hint" }, said) : null;
}

function authorizationRow(authorization) {
  const [day, time] = usDateTime(authorization.submitted_at).split(/ (.*)/s);
  const [said, at] = decisionText(authorization).split(/ (?=\d\d\/)/);
  const [atDay, atTime] = (at || "").split(/ (.*)/s);
  const due = el("td", { className: "decision when" }, `${said} ${atDay || ""}`.trim(), " ",
    el("span", { className: "hint" }, atTime || ""));
  return el("tr", {},
    el("th", { scope: "row", className: "id", tabindex: "-1" }, openLink(authorization), rowHint(authorization)),
    el("td", {}, authorization.member_name, el("span", { className: "hint" }, authorization.member_id)),
    el("td", { className: "id" }, linesText(authorization.service_lines)),
    el("td", {}, URGENCY[authorization.urgency] || authorization.urgency),
    el("td", { className: "when" }, day, " ", el("span", { className: "hint" }, time || "")),
    el("td", { className: "tags" }, ...statusTags(authorization)),
    due);
}

const list = pagedList({
  kind: "authorization",
  keyed: true,
  row: authorizationRow,
  live,
  pageNotice,
  loading: ["Loading authorization requests…", "Loading more requests…"],
  none: (query) => `No authorization requests${submittedIn(query)}.`,
  some: (count, query) => `${plural(count, "request")}${submittedIn(query)}`,
  form: document.getElementById("search-form"),
  title: () => `Authorization requests of ${actingFor.value}`,
  query: (values) => ({ acting_for: actingFor.value, provider_id: actingFor.value, ...values, page_size: PAGE_SIZE }),
  atDates: ["body", "provider_id", "acting_for"],
});

function submittedIn(query) {
  return query ? ` submitted ${usDate(query.from_date)} – ${usDate(query.to_date)}` : "";
}

// ---- Requesting an authorization ----

function submitted(authorization) {
  const due = `Decision due ${usDateTime(authorization.due_at)}`;
  notice(requestResult, "success", `Request submitted: ${authorization.authorization_id}`, [
    el("p", {}, `${URGENCY[authorization.urgency] || authorization.urgency} review for ${authorization.member_name} `
      + `(${linesText(authorization.service_lines)}). `, el("strong", { className: "due" }, `${due}.`),
    ` The plan decides ${CLOCK[authorization.urgency] || ""}.`),
    el("p", {}, openLink(authorization), " — see its status and history."),
  ], { heading: "h3" });
  live.textContent = `Request submitted: ${authorization.authorization_id}. ${due}.`;
}

// The form waits behind "New request" (the list comes first); Cancel, or the request sent, closes it.
const requestCard = document.getElementById("request-card");
const newRequest = document.getElementById("new-request");

function openRequestForm() {
  hideNotice(requestResult);
  requestCard.hidden = false;
  newRequest.parentElement.hidden = true;
  document.getElementById("request-heading").focus();
}

function closeRequestForm({ focus = true } = {}) {
  requestCard.hidden = true;
  newRequest.parentElement.hidden = false;
  if (focus) newRequest.focus();
}

newRequest.addEventListener("click", openRequestForm);
document.getElementById("close-request").addEventListener("click", () => {
  requestForm.reset();
  closeRequestForm();
});

requestForm.addEventListener("input", () => { submissionKey = null; });
requestForm.addEventListener("change", () => { submissionKey = null; });

requestForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(requestForm);
  hideNotice(pageNotice);
  hideNotice(requestResult);
  const values = formValues(requestForm);
  const sent = entries();
  const body = {
    acting_for: actingFor.value,
    ...values,
    service_lines: sent.service_lines,
    diagnosis_codes: sent.diagnosis_codes,
  };
  for (const name of ["member_id", "requesting_provider_id", "servicing_provider_id"]) {
    if (body[name]) body[name] = body[name].toUpperCase();
  }
  const fileErrors = checkFiles(requestFiles.input);
  if (!submissionKey) submissionKey = newKey();
  live.textContent = "Submitting the request…";
  const answer = withPageErrors(await whileBusy(document.getElementById("submit-request"), "Submitting…", async () => {
    if (requestFiles.input.files.length) body.attachments = await filesToSend(requestFiles.input, fileErrors);
    return api("/authorizations", { method: "POST", body, headers: { "Idempotency-Key": submissionKey } });
  }).catch(filesUnread), fileErrors);
  if (answer.ok) {
    const authorization = answer.data;
    submissionKey = null;
    submitted(authorization);
    list.add(authorization, authorization.requesting_provider_id);
    resetRequestForm();
    closeRequestForm({ focus: false }); // the focus stays on what was submitted
    return;
  }
  const problem = sayRefusal(live, answer);
  if ([413, 415, 422].includes(answer.status) && Array.isArray(problem.errors)) {
    showProblem(requestForm, placeRequestErrors({ ...problem, errors: onFileField(problem.errors) }, sent));
  } else {
    if (problem.type === "/problems/idempotency-key-reused") submissionKey = null; // the next submission is a new one
    // Not found, no access, or no answer (the same key is kept: submitting again cannot make a second request).
    problemNotice(requestResult, problem, answer.status === 404 ? "warning" : "error");
  }
});

function defaultDates() {
  document.getElementById("service_from").value = isoDay();
  document.getElementById("service_to").value = isoDay(DEFAULT_SERVICE_DAYS);
}

function resetRequestForm() {
  const keep = requesting.value;
  requestForm.reset();
  clearErrors(requestForm);
  requesting.value = keep;
  defaultDates();
  resetRows();
  submissionKey = null;
}

requestForm.addEventListener("reset", () => {
  clearErrors(requestForm);
  submissionKey = null;
  setTimeout(() => { // after the browser has put the defaults back
    requesting.value = actingFor.value;
    defaultDates();
    resetRows();
  });
});

// ---- One request: its history, the decision, sending information, withdrawing ----

function latestPlanNote(authorization) {
  const notes = authorization.history.filter((item) => item.by === "plan" && item.note);
  return notes.length ? notes[notes.length - 1].note : authorization.decision_reason;
}

function historyList(authorization) {
  const items = [...authorization.history].sort((a, b) => String(a.at).localeCompare(String(b.at)));
  const names = new Map((authorization.attachments || []).map((file) => [file.number, file.name]));
  return el("ol", { className: "timeline", id: "history" }, ...items.map((item) => el("li", { className: `by-${item.by}` },
    el("p", { className: "timeline-when" }, el("time", { dateTime: item.at }, usDateTime(item.at)), " · ",
      BY[item.by] || item.by),
    el("p", { className: "timeline-event" }, eventText(item.event)),
    item.note ? el("p", { className: "timeline-note" }, item.note) : null,
    item.attachments && item.attachments.length ? el("p", { className: "timeline-note" },
      `Files: ${item.attachments.map((n) => names.get(n) || `#${n}`).join(", ")}`) : null)));
}

/**
 * The units approved of a line: given per line on a partial approval; otherwise what the decision
 * means for every line (all approved, none, not decided yet).
 */
function approvedUnits(authorization, line) {
  if (line.approved_units !== null && line.approved_units !== undefined) return String(line.approved_units);
  if (authorization.status === "approved") return String(line.units);
  if (authorization.status === "denied") return "0";
  if (OPEN.has(authorization.status)) return "Not decided yet";
  return "—";
}

function linesTable(authorization) {
  const head = el("tr", {}, el("th", { scope: "col" }, "Code"), el("th", { scope: "col", className: "num" }, "Units requested"),
    el("th", { scope: "col", className: "num" }, "Units approved"));
  const body = authorization.service_lines.map((line) => el("tr", {},
    el("th", { scope: "row", className: "id" }, line.code),
    el("td", { className: "num" }, String(line.units)),
    el("td", { className: "num" }, approvedUnits(authorization, line))));
  return el("div", { className: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "lines-caption" },
    el("table", { className: "data-table", id: "lines-table" }, el("caption", { id: "lines-caption" }, "Service lines"),
      el("thead", {}, head), el("tbody", {}, ...body)));
}

function decisionNotice(authorization) {
  const [label] = STATUS[authorization.status] || [authorization.status];
  if (authorization.status === "more_info_requested") {
    return el("div", { className: "notice warning", id: "decision" },
      el("h3", {}, "The plan asks for more information"),
      el("p", {}, latestPlanNote(authorization) || "Send what supports the request."),
      el("p", {}, `Decision due ${usDateTime(authorization.due_at)}.`));
  }
  if (OPEN.has(authorization.status) && authorization.decided_in === "core") {
    return el("div", { className: "notice", id: "decision" },
      el("h3", {}, "Under review by the plan"),
      el("p", {}, "The plan reviews this request in its own system. Its decision appears here when the plan "
        + "sends it."),
      latestPlanNote(authorization) ? el("p", {}, latestPlanNote(authorization)) : null);
  }
  if (OPEN.has(authorization.status)) {
    return el("div", { className: `notice${authorization.overdue ? " warning" : ""}`, id: "decision" },
      el("h3", {}, authorization.overdue ? "The decision is overdue" : "Waiting for the plan's decision"),
      el("p", {}, `Decision due ${usDateTime(authorization.due_at)} (${URGENCY[authorization.urgency] || ""} review, `
        + `${CLOCK[authorization.urgency] || ""}).`));
  }
  const kind = authorization.status === "denied" ? "error" : authorization.status === "withdrawn" ? "" : "success";
  return el("div", { className: `notice ${kind}`.trim(), id: "decision" },
    el("h3", {}, `${label} ${usDateTime(authorization.decided_at)}`),
    authorization.decision_reason ? el("p", {}, el("strong", {}, "Reason: "), authorization.decision_reason) : null);
}

function informationForm(authorization, problemBox) {
  const textarea = el("textarea", { id: "information_note", name: "note", rows: 5, maxLength: 4000,
    "aria-describedby": "information_note-hint" });
  const send = el("button", { type: "submit", className: "button" }, "Send information");
  const files = fileField("information_attachments", "Files for the plan (optional)");
  const form = el("form", { id: "information-form", novalidate: true, "aria-labelledby": "information-heading" },
    el("h3", { id: "information-heading" }, "Send information"),
    el("div", { className: "field", "data-field": "note" },
      el("label", { htmlFor: textarea.id }, "Information for the plan"),
      el("span", { className: "hint", id: "information_note-hint" },
        "Answer the plan's question; the request goes back to review. Up to 4,000 characters."),
      el("p", { className: "field-error", id: "information_note-error", hidden: true }),
      textarea),
    files.box,
    el("div", { className: "actions" }, send));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    problemBox.hidden = true;
    live.textContent = "Sending the information…";
    const answer = await sendWithFiles(authorization, "information", form, files, send);
    if (answer.ok) {
      showAuthorization(answer.data, { title: "Information sent", text: "The request is back in review.", kind: "success" });
      return;
    }
    await afterFailure(authorization, answer, form, problemBox);
  });
  return form;
}

/** "Appeal of PA-…" on an appeal, "Appealed: PA-…" on a decision appealed; each opens that request. */
function appealLinks(authorization) {
  return [
    authorization.appeal_of ? el("p", { className: "appeal-link", id: "appeal-of" }, "Appeal of ",
      requestLink(authorization.appeal_of)) : null,
    authorization.appeal_id ? el("p", { className: "appeal-link", id: "appealed-by" }, "Appealed: ",
      requestLink(authorization.appeal_id)) : null,
  ];
}

/** What the page offers about appealing a decision: the form, who may appeal instead, or nothing. */
function appealPart(authorization, problemBox) {
  if (!APPEALABLE.has(authorization.status) || authorization.appeal_id) return null;
  if (!sentByUs(authorization)) {
    return el("p", { className: "hint", id: "appeal-by-sender" },
      `To appeal this decision, act for the practice that sent the request (Provider ID `
      + `${authorization.requesting_provider_id}), or ask that practice to appeal it.`);
  }
  return appealForm(authorization, problemBox);
}

function urgencyChoice(value, label, checked) {
  const id = `appeal_urgency-${value}`;
  return el("div", { className: "choice" },
    el("input", { type: "radio", id, name: "urgency", value, checked }),
    el("label", { htmlFor: id }, label));
}

function appealForm(authorization, problemBox) {
  const reason = el("textarea", { id: "appeal_reason", name: "reason", rows: 5, maxLength: 4000,
    "aria-describedby": "appeal_reason-hint" });
  const send = el("button", { type: "submit", className: "button" }, "Send the appeal");
  const files = fileField("appeal_attachments", "Files for the appeal (optional)");
  const form = el("form", { id: "appeal-form", novalidate: true, "aria-labelledby": "appeal-heading" },
    el("h3", { id: "appeal-heading" }, "Appeal this decision"),
    el("p", {}, "Ask the plan to review its decision again. The appeal is a new request for the same member and "
      + "services, with its own number and decision time."),
    el("div", { className: "field", "data-field": "reason" },
      el("label", { htmlFor: reason.id }, "Why the decision should change"),
      el("span", { className: "hint", id: "appeal_reason-hint" },
        "Answer the plan's reason: findings, treatments tried, criteria met. Up to 4,000 characters."),
      el("p", { className: "field-error", id: "appeal_reason-error", hidden: true }),
      reason),
    el("div", { className: "field", "data-field": "urgency", role: "radiogroup",
      "aria-labelledby": "appeal_urgency-label", "aria-describedby": "appeal_urgency-hint" },
    el("span", { className: "label", id: "appeal_urgency-label" }, "Urgency of the appeal"),
    el("span", { className: "hint", id: "appeal_urgency-hint" },
      "Expedited (decision within 72 hours) only when waiting could seriously harm the member's life, health or "
        + "function; otherwise standard (within 7 calendar days)."),
    el("p", { className: "field-error", id: "appeal_urgency-error", hidden: true }),
    el("div", { className: "choices inline-choices" },
      urgencyChoice("standard", "Standard", true), urgencyChoice("expedited", "Expedited", false))),
    files.box,
    el("div", { className: "actions" }, send));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    problemBox.hidden = true;
    live.textContent = "Sending the appeal…";
    const answer = await sendWithFiles(authorization, "appeal", form, files, send);
    if (answer.ok) {
      appealed(answer.data, answer.status === 201);
      return;
    }
    await afterFailure(authorization, answer, form, problemBox, "reason");
  });
  return form;
}

/** Open the appeal just sent (a new history entry: "Back" returns to the decision appealed). */
function appealed(appeal, isNew) {
  history.pushState({ [FROM_LIST]: true }, "", authorizationAddress(appeal.authorization_id));
  hideNotice(pageNotice);
  list.add(appeal, appeal.requesting_provider_id);
  showAuthorization(appeal, {
    title: isNew ? `Appeal sent: ${appeal.authorization_id}` : `This appeal was sent already: ${appeal.authorization_id}`,
    text: `The plan reviews it as a new request. Decision due ${usDateTime(appeal.due_at)}.`,
    kind: "success",
  });
}

function withdrawControls(authorization, problemBox) {
  const open = el("button", { type: "button", className: "button secondary", id: "withdraw" }, "Withdraw the request");
  const yes = el("button", { type: "button", className: "button", id: "confirm-withdraw" }, "Yes, withdraw it");
  const no = el("button", { type: "button", className: "button secondary" }, "Keep the request");
  const confirm = el("div", { className: "notice warning confirm", id: "withdraw-confirm", role: "group",
    "aria-labelledby": "withdraw-question", hidden: true },
  el("p", { id: "withdraw-question" }, el("strong", {}, `Withdraw ${authorization.authorization_id}?`),
    " The plan stops reviewing it; to ask again, submit a new request."),
  el("div", { className: "actions" }, yes, no));
  const asking = (on) => {
    confirm.hidden = !on;
    open.hidden = on;
    (on ? yes : open).focus();
  };
  open.addEventListener("click", () => asking(true));
  no.addEventListener("click", () => asking(false));
  yes.addEventListener("click", async () => {
    problemBox.hidden = true;
    live.textContent = "Withdrawing the request…";
    const answer = await whileBusy(yes, "Withdrawing…",
      () => api(`/authorizations/${encodeURIComponent(authorization.authorization_id)}/withdraw`, {
        method: "POST", body: { acting_for: actingFor.value } }));
    if (answer.ok) {
      showAuthorization(answer.data, { title: "Request withdrawn", text: "The plan will not decide it.", kind: "success" });
      return;
    }
    await afterFailure(authorization, answer, null, problemBox);
  });
  return el("section", { className: "withdraw", "aria-label": "Withdraw" }, el("div", { className: "actions" }, open), confirm);
}

/**
 * A refused action: field errors on the form (an error about the whole body on its `bodyField`); a
 * changed request (409) shown as it is now, with why.
 */
async function afterFailure(authorization, answer, form, problemBox, bodyField = "note") {
  const problem = sayRefusal(live, answer);
  if (answer.status === 409) {
    const current = await fetchAuthorization(authorization.authorization_id);
    if (current.ok) {
      showAuthorization(current.data, { title: problem.title || "The request has changed", text: problem.detail || "",
        kind: "warning" });
      return;
    }
  }
  if (form && [413, 415, 422].includes(answer.status) && Array.isArray(problem.errors)) {
    const errors = onFileField(problem.errors).map((e) => (e.field === "body" ? { ...e, field: bodyField } : e));
    showProblem(form, { ...problem, errors });
    return;
  }
  problemNotice(problemBox, problem, "error");
}

function fetchAuthorization(authorizationId) {
  return fetchRecord("authorizations", authorizationId, actingFor.value);
}

/** Whether two texts say the same, but for case and a final period (or the first is empty). */
function sameWords(text, label) {
  const plain = (value) => String(value || "").trim().replace(/\.$/, "").toLowerCase();
  return !plain(text) || plain(text) === plain(label);
}

/** Render one request; `message` ({title, text, kind}) tells what just happened. */
function showAuthorization(authorization, message = null) {
  const problemBox = el("div", { className: "notice error", id: "detail-problem", tabindex: "-1", hidden: true });
  const heading = el("h2", { id: "detail-heading", tabindex: "-1" }, `Prior authorization ${authorization.authorization_id}`);
  const messageBox = message ? el("div", { className: `notice ${message.kind}`, id: "detail-message", role: "status" },
    el("h3", {}, message.title), message.text ? el("p", {}, message.text) : null) : null;
  const card = el("section", { className: "card", "aria-labelledby": "detail-heading" },
    heading,
    el("p", { className: "tags detail-tags", id: "detail-status" }, ...statusTags(authorization)),
    ...appealLinks(authorization),
    sameWords(authorization.status_text, (STATUS[authorization.status] || [""])[0]) ? null
      : el("p", { className: "status-text" }, authorization.status_text),
    messageBox,
    problemBox,
    decisionNotice(authorization),
    authorization.status === "more_info_requested" && maySend() ? informationForm(authorization, problemBox) : null,
    maySend() ? appealPart(authorization, problemBox) : null,
    facts([
      ["Member", `${authorization.member_name} (${authorization.member_id})`],
      ["Requesting Provider ID", authorization.requesting_provider_id],
      ["Servicing Provider ID", authorization.servicing_provider_id],
      ["Service dates", `${usDate(authorization.service_from)} – ${usDate(authorization.service_to)}`],
      ["Urgency", `${URGENCY[authorization.urgency] || authorization.urgency} (decision ${CLOCK[authorization.urgency] || ""})`],
      ["Diagnosis codes", authorization.diagnosis_codes.join(", ")],
      [authorization.appeal_of ? "Why the decision should change" : "Clinical notes", authorization.clinical_notes],
      ["Submitted", usDateTime(authorization.submitted_at)],
      ["How it came in", doorText(authorization)],
      ["Plan's number", authorization.payer_number],  // its own systems' number, where they gave one
      [OPEN.has(authorization.status) ? "Decision due" : "Decided", OPEN.has(authorization.status)
        ? usDateTime(authorization.due_at) : usDateTime(authorization.decided_at)],
    ]),
    linesTable(authorization),
    el("h3", { id: "attachments-heading" }, "Files"),
    attachmentList(authorization, () => actingFor.value, (problem) => problemNotice(problemBox, problem, "error")),
    el("h3", { id: "history-heading" }, "History"),
    historyList(authorization),
    OPEN.has(authorization.status) && maySend() ? withdrawControls(authorization, problemBox) : null);
  detail.replaceChildren(card);
  list.upsert(authorization, false);
  const [label] = STATUS[authorization.status] || [authorization.status];
  live.textContent = `${message ? `${message.title}. ` : ""}${authorization.authorization_id}: ${label}.`;
  heading.focus();
}

/** The view the address names: a request (?authorization=…) or the list and the form. */
const view = recordView({
  param: "authorization",
  mark: FROM_LIST,
  page: "/authorizations.html",
  listView: document.getElementById("list-view"),
  detailView,
  detail,
  live,
  pageNotice,
  actingFor,
  collection: "authorizations",
  loading: "Loading the request…",
  show: showAuthorization,
  failed: (answer) => problemNotice(pageNotice, answer.data, answer.status === 404 ? "warning" : "error"),
});

// ---- Start ----

const links = await actingForLinks(pageNotice, "authorizations.view");
if (links) {
  for (const link of links) linkTypes.set(link.provider_id, link.link_type);
  // Seeing without sending: the list and requests, no "New request", no answering, appealing or withdrawing.
  const newRequestActions = document.getElementById("new-request-actions");
  maySend = featureGate(links, actingFor, "authorizations.submit", { before: newRequestActions,
    hide: [newRequestActions, document.getElementById("request-card")], show: [newRequestActions] });
  followActingFor(actingFor, requesting);
  defaultDates();
  resetRows();
  document.getElementById("birth_date").max = isoDay();
  lastDays(DEFAULT_DAYS);
  actingFor.addEventListener("change", async () => {
    hideNotice(requestResult);
    if (!detailView.hidden) {
      history.pushState(null, "", "/authorizations.html");
      await view.route();
    }
    await list.reload();
  });
  document.getElementById("auth-view").hidden = false;
  await view.route();
  await list.reload();
}
