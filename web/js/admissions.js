// Hospital admissions: a facility notifies the plan that a member was admitted (member ID and date of
// birth, the facility's Provider ID, the admit date and time with the browser's UTC offset, the type
// and the admitting diagnosis), sees the facility's admissions of a date range (paged with "More
// admissions"), and records a discharge on an admitted row, which is then updated in place. A late
// notification (after the plan's window of one business day) is said when it is filed and tagged in
// the list; a second notification of the same stay names the one already on file. What deserves a second
// look (an admission of the member still open, no coverage on the admit date) comes back as warnings,
// shown with "Notify anyway", which sends the same notification again with those warnings confirmed.

import { api } from "./api.js";
import { clearErrors, formValues, showProblem, whileBusy, withPageErrors } from "./forms.js";
import { el, notice } from "./dom.js";
import { lastDays, pagedList, plural } from "./paged-list.js";
import {
  hideNotice, isoDay, problemNotice, sayRefusal, statusTag, tag, usDate, usDateTime,
} from "./portal-data.js";
import { actingForLinks, featureGate, fetchRecord, followActingFor, openPortalPage } from "./portal-page.js";

const PAGE_SIZE = 25;
const DEFAULT_DAYS = 30; // the date range the list starts with
const TYPE = { inpatient: "Inpatient", observation: "Observation" };
const STATUS = { admitted: ["Admitted", "action"], discharged: ["Discharged", "closed"] };
const DISPOSITION = {
  home: "Home or self-care",
  home_health: "Home with home health care",
  skilled_nursing: "Skilled nursing facility",
  rehabilitation: "Inpatient rehabilitation facility",
  transferred_hospital: "Transferred to another hospital",
  hospice: "Hospice",
  left_against_medical_advice: "Left against medical advice",
  expired: "Expired",
};
const LATE_TEXT = "This notification is later than the plan's window of one business day";
let mayNotify = () => false; // whether the link acted for gives notifying (set at the start)

const { pageNotice, live, actingFor } = await openPortalPage("Hospital admissions", "admissions");
const notifyForm = document.getElementById("notify-form");
const notifyResult = document.getElementById("notify-result");
const facility = document.getElementById("facility_provider_id");
const admitDate = document.getElementById("admit_date");

// ---- Dates and times as users read them; values as the API takes them ----

const pad = (n) => String(n).padStart(2, "0");

/** An instant as a cell shows it: the date, and the time under it (read as one: "03/12/2026 2:05 PM"). */
function dateTimeCell(iso, ...more) {
  const [day, time] = usDateTime(iso).split(/ (.*)/s);
  return el("td", { className: "when" }, day, " ", el("span", { className: "hint" }, time || ""), ...more);
}

/** A date input's and a time input's values → ISO date-time with the browser's offset on that day. */
function withOffset(day, time) {
  const [year, month, date] = day.split("-").map(Number);
  const [hours, minutes] = time.split(":").map(Number);
  const local = new Date(year, month - 1, date, hours, minutes);
  const offset = -local.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${day}T${pad(hours)}:${pad(minutes)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** An instant's calendar day in the reader's time zone, as a date input holds it. */
function localDay(iso) {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? undefined : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/** The current time as a time input holds it ("14:05"). */
function nowTime() {
  const now = new Date();
  return `${pad(now.getHours())}:${pad(now.getMinutes())}`;
}

/**
 * The date-time of a date and a time input as the API takes it (`field`); an error when one of them is
 * missing: on `field` (shown at the date) for the date, on `timeField` (the time's own slot, if it has
 * one) for the time. Either way nothing is sent for `field`, so the API, which requires it, refuses the
 * request too and names the form's other errors in the same answer (forms.js withPageErrors). Neither
 * given: nothing, and the API says what to enter.
 */
function dateTimeValue(dateInput, timeInput, field, what, timeField = field) {
  const day = dateInput.value;
  const time = timeInput.value;
  if (!day && !time) return { value: undefined };
  if (!day) return { error: { field, message: `Enter the ${what} date.` } };
  if (!time) return { error: { field: timeField, replaces: field, message: `Enter the ${what} time.` } };
  return { value: withOffset(day, time.slice(0, 5)) };
}

// ---- The list ----

function statusCell(admission) {
  const cell = el("td", { className: "tags" }, statusTag(STATUS, admission.status));
  if (admission.late) cell.append(tag("Late notification", "pending"));
  return cell;
}

function dischargeCell(admission) {
  if (admission.status === "discharged" || admission.discharged_at) {
    const cell = dateTimeCell(admission.discharged_at, " ",
      el("span", { className: "disposition" }, DISPOSITION[admission.disposition] || admission.disposition || ""));
    cell.classList.add("discharge");
    return cell;
  }
  if (!mayNotify()) return el("td", { className: "discharge" }, "Not recorded yet");
  const button = el("button", { type: "button", className: "button small secondary record-discharge" },
    "Record discharge", el("span", { className: "visually-hidden" }, ` of ${admission.admission_id}`));
  button.addEventListener("click", () => openDischarge(admission, button));
  return el("td", { className: "discharge" }, button);
}

function admissionRow(admission) {
  return el("tr", {},
    el("th", { scope: "row", className: "id", tabindex: "-1" }, admission.admission_id),
    el("td", {}, admission.member_name, el("span", { className: "hint" }, admission.member_id)),
    dateTimeCell(admission.admitted_at),
    el("td", {}, TYPE[admission.admission_type] || admission.admission_type),
    el("td", { className: "id" }, admission.admitting_diagnosis),
    statusCell(admission),
    dischargeCell(admission));
}

const list = pagedList({
  kind: "admission",
  keyed: true,
  row: admissionRow,
  live,
  pageNotice,
  loading: ["Loading admissions…", "Loading more admissions…"],
  none: (query) => `No admissions${admittedIn(query)}.`,
  some: (count, query) => `${plural(count, "admission")}${admittedIn(query)}`,
  form: document.getElementById("search-form"),
  title: () => `Admissions at ${actingFor.value}`,
  query: (values) => ({ acting_for: actingFor.value, facility_provider_id: actingFor.value, ...values, page_size: PAGE_SIZE }),
  atDates: ["body", "facility_provider_id"],
});

function admittedIn(query) {
  return query ? ` admitted ${usDate(query.from_date)} – ${usDate(query.to_date)}` : "";
}

// ---- Notifying an admission ----

/** Errors about the request as a whole or the facility's Provider ID go to the field they are about. */
function placeNotifyErrors(problem) {
  const errors = (problem.errors || []).map((e) => {
    if (e.field === "provider_id" || e.field === "acting_for") return { ...e, field: "facility_provider_id" };
    if (e.field === "body") return { ...e, field: /facility|provider/i.test(e.message || "") ? "facility_provider_id" : "member_id" };
    return e;
  });
  return { ...problem, errors };
}

function fetchAdmission(admissionId) {
  return fetchRecord("admissions", admissionId, actingFor.value);
}

async function showExisting(admissionId) {
  const answer = await fetchAdmission(admissionId);
  if (answer.ok && answer.data.facility_provider_id === actingFor.value) list.upsert(answer.data);
}

function notified(admission) {
  const parts = [el("p", {}, `${admission.member_name} (${admission.member_id}), ${(TYPE[admission.admission_type]
    || admission.admission_type).toLowerCase()} admission on ${usDateTime(admission.admitted_at)}, diagnosis ${admission.admitting_diagnosis}.`)];
  if (admission.late) {
    parts.push(el("p", { className: "late-notice" }, el("strong", {}, `${LATE_TEXT}.`),
      ` It was due by ${usDateTime(admission.notice_due)}; it was received ${usDateTime(admission.notified_at)}.`));
  }
  notice(notifyResult, admission.late ? "warning" : "success", `Admission notified: ${admission.admission_id}`, parts,
    { heading: "h3" });
  live.textContent = `Admission notified: ${admission.admission_id}${admission.late ? `. ${LATE_TEXT}.` : "."}`;
}

/**
 * The warnings of an answer that asks to check before notifying, with "Notify anyway": it sends the very
 * notification they are about (`sent`) again, confirming them.
 */
function showWarnings(problem, sent) {
  const warnings = Array.isArray(problem.warnings) ? problem.warnings : [];
  const anyway = el("button", { type: "button", className: "button", id: "notify-anyway" }, "Notify anyway");
  anyway.addEventListener("click", () => notifyAdmission({ ...sent, confirmed_warnings: warnings.map((w) => w.code) }));
  notice(notifyResult, "warning", problem.title || "Check before notifying", [
    el("ul", { className: "warnings" }, ...warnings.map((w) => el("li", {}, w.message))),
    el("p", {}, "Nothing was notified yet. If the notification is right, notify anyway; otherwise correct the form."),
    el("div", { className: "actions" }, anyway),
  ], { heading: "h3" });
  live.textContent = `${problem.title || "Check before notifying"}: ${warnings.map((w) => w.message).join(" ")}`;
}

/** The notification the form holds, and what the page itself found wrong with it. */
function notification() {
  const body = { acting_for: actingFor.value, ...formValues(notifyForm) };
  if (body.admitting_diagnosis) body.admitting_diagnosis = body.admitting_diagnosis.toUpperCase();
  for (const name of ["member_id", "facility_provider_id", "attending_provider_id"]) {
    if (body[name]) body[name] = body[name].toUpperCase();
  }
  const admitted = dateTimeValue(admitDate, document.getElementById("admit_time"), "admitted_at", "admit", "admit_time");
  if (admitted.value) body.admitted_at = admitted.value;
  return { body, pageErrors: admitted.error ? [admitted.error] : [] };
}

/** Send the form's notification, or `again` (one the user confirms the warnings of). */
async function notifyAdmission(again = null) {
  clearErrors(notifyForm);
  hideNotice(pageNotice);
  hideNotice(notifyResult);
  const { body, pageErrors } = again ? { body: again, pageErrors: [] } : notification();
  live.textContent = "Notifying the admission…";
  const answer = withPageErrors(await whileBusy(document.getElementById("notify"), "Notifying…",
    () => api("/admissions", { method: "POST", body })), pageErrors);
  if (answer.ok) {
    const admission = answer.data;
    notified(admission);
    list.add(admission, admission.facility_provider_id);
    resetNotifyForm();
    return;
  }
  const problem = sayRefusal(live, answer);
  if (problem.type === "/problems/confirm-warnings") {
    showWarnings(problem, body);
  } else if (answer.status === 409 && problem.admission_id) {
    const title = `This admission was already notified: ${problem.admission_id}`;
    notice(notifyResult, "warning", title, problem.detail ? [el("p", {}, problem.detail)] : [], { heading: "h3" });
    live.textContent = title;
    await showExisting(problem.admission_id);
  } else if (answer.status === 422 && Array.isArray(problem.errors)) {
    showProblem(notifyForm, placeNotifyErrors(problem));
  } else {
    problemNotice(notifyResult, problem, answer.status === 404 ? "warning" : "error");
  }
}

notifyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  notifyAdmission();
});

function resetNotifyForm() {
  const keep = facility.value;
  notifyForm.reset();
  facility.value = keep;
  admitDate.value = isoDay();
}

notifyForm.addEventListener("reset", () => {
  clearErrors(notifyForm);
  setTimeout(() => {
    facility.value = actingFor.value;
    admitDate.value = isoDay();
  }); // after the browser has put the defaults back
});

// ---- Recording a discharge, in a row under the admission ----

function dischargeForm(admission, opener) {
  const id = `discharge-${admission.admission_id}`;
  const options = [el("option", { value: "" }, "Choose where the member went"),
    ...Object.entries(DISPOSITION).map(([value, text]) => el("option", { value }, text))];
  const problemBox = el("div", { className: "notice error", role: "alert", hidden: true });
  const dateInput = el("input", { type: "date", id: `${id}-date`, min: localDay(admission.admitted_at), max: isoDay(),
    value: isoDay(), "data-focus": true });
  const timeInput = el("input", { type: "time", id: `${id}-time`, value: nowTime() });
  const select = el("select", { id: `${id}-disposition`, name: "disposition" }, ...options);
  const save = el("button", { type: "submit", className: "button small" }, "Save discharge");
  const cancel = el("button", { type: "button", className: "button small secondary" }, "Cancel");
  const form = el("form", { className: "discharge-form", novalidate: true, "aria-labelledby": `${id}-heading` },
    el("h3", { id: `${id}-heading` }, `Record the discharge of ${admission.member_name} (${admission.admission_id})`),
    problemBox,
    el("div", { className: "discharge-fields" },
      el("div", { className: "discharge-when", "data-field": "discharged_at" },
        el("p", { className: "field-error", id: `${id}-discharged_at-error`, hidden: true }),
        el("div", { className: "field" }, el("label", { htmlFor: dateInput.id }, "Discharge date"), dateInput),
        el("div", { className: "field" }, el("label", { htmlFor: timeInput.id }, "Discharge time"), timeInput)),
      el("div", { className: "field", "data-field": "disposition" },
        el("label", { htmlFor: select.id }, "Discharge disposition"),
        el("p", { className: "field-error", id: `${id}-disposition-error`, hidden: true }),
        select)),
    el("div", { className: "actions" }, save, cancel));

  function close() {
    form.closest("tr").remove();
    opener.focus();
  }
  cancel.addEventListener("click", close);
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });

  /** Field errors next to their fields (focus on the first); anything else in the form's own notice. */
  function showErrors(problem) {
    const errors = (problem.errors || []).map((e) => (e.field === "body" ? { ...e, field: "discharged_at" } : e));
    const fields = showProblem(form, { ...problem, errors });
    const summaryBox = document.getElementById("error-summary");
    summaryBox.hidden = true; // the errors are shown here, in the row, not at the top of the page
    summaryBox.replaceChildren();
    const invalid = form.querySelector("[aria-invalid=true]");
    if (fields.length && invalid) {
      problemBox.hidden = true;
      invalid.focus();
      return;
    }
    problemBox.replaceChildren(el("p", {}, el("strong", {}, problem.title || "Something went wrong")),
      ...(problem.detail ? [el("p", {}, problem.detail)] : []));
    problemBox.hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    problemBox.hidden = true;
    const discharged = dateTimeValue(dateInput, timeInput, "discharged_at", "discharge");
    const body = { acting_for: actingFor.value };
    if (discharged.value) body.discharged_at = discharged.value;
    if (select.value) body.disposition = select.value;
    live.textContent = "Recording the discharge…";
    const answer = withPageErrors(await whileBusy(save, "Saving…",
      () => api(`/admissions/${encodeURIComponent(admission.admission_id)}`, { method: "PATCH", body })),
    discharged.error ? [discharged.error] : []);
    if (answer.ok) {
      const updated = list.upsert(answer.data);
      live.textContent = `Discharge recorded for ${answer.data.admission_id}: ${DISPOSITION[answer.data.disposition]
        || answer.data.disposition}, ${usDateTime(answer.data.discharged_at)}.`;
      updated.querySelector("th").focus();
      return;
    }
    const problem = sayRefusal(live, answer);
    if (answer.status === 409 && problem.type === "/problems/already-discharged") {
      await refresh(admission.admission_id);
      live.textContent = `${problem.title || "Already discharged"}.`;
      return;
    }
    showErrors(problem);
  });
  return { form, dateInput };
}

/** Show the admission as it is now (after another user recorded its discharge, say). */
async function refresh(admissionId) {
  const answer = await fetchAdmission(admissionId);
  if (answer.ok) list.upsert(answer.data).querySelector("th").focus();
}

function openDischarge(admission, opener) {
  const row = list.rowOf(admission.admission_id);
  const existing = row.nextElementSibling;
  if (existing && existing.classList.contains("discharge-row")) {
    existing.querySelector("input").focus();
    return;
  }
  const { form, dateInput } = dischargeForm(admission, opener);
  row.classList.add("has-form");
  row.after(el("tr", { className: "discharge-row" }, el("td", { colSpan: 7 }, form)));
  dateInput.focus();
}

// ---- Start ----

const links = await actingForLinks(pageNotice, "admissions.view");
if (links) {
  // Seeing without notifying: the list, no notification form, no discharges to record.
  const notifyCard = document.getElementById("notify-card");
  mayNotify = featureGate(links, actingFor, "admissions.notify", { before: notifyCard, hide: [notifyCard] });
  followActingFor(actingFor, facility);
  admitDate.max = isoDay();
  admitDate.value = isoDay();
  lastDays(DEFAULT_DAYS);
  actingFor.addEventListener("change", async () => {
    hideNotice(notifyResult);
    await list.reload();
  });
  document.getElementById("admissions-view").hidden = false;
  await list.reload();
}
