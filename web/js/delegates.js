// The members page's "Billing services and other delegates": people outside the practice (a billing
// service) whom an administrator lets act for the Provider ID with their own accounts, with only the
// features ticked, until a last day (a year at most). The administrator invites by email address (the
// invitation's link works once, for 14 days), sees each delegate with company, features and last day,
// and revokes at once. The rules are the API's (functions/delegations). members.js imports this module;
// it starts by itself and shows its section only to an administrator of the page's Provider ID.

import { api } from "./api.js";
import { clearErrors, confirmInPlace, showProblemInForm, whileBusy } from "./forms.js";
import { dayText, el, notice, shortDate } from "./dom.js";
import { FEATURES, featureList, pageProvider } from "./links.js";

const USUAL = ["eligibility", "claims"]; // what a billing service needs: ticked at first
const STATUS = { active: ["Active", "ok"], expired: ["Ended", "closed"], removed: ["Revoked", "closed"] };
const LONGEST_DAYS = 365;

const card = document.getElementById("delegates-card");

/** A day as the date input writes it ("2027-06-30"), `days` from today where the reader is. */
function isoDay(days = 0) {
  const date = new Date();
  date.setDate(date.getDate() + days);
  return [date.getFullYear(), date.getMonth() + 1, date.getDate()].map((n) => String(n).padStart(2, "0")).join("-");
}

function setUp(providerId) {
  const sectionNotice = document.getElementById("delegates-notice");
  const list = document.getElementById("delegate-list");
  const form = document.getElementById("delegate-form");
  const formProblem = document.getElementById("delegate-form-problem");
  const boxes = document.getElementById("delegate-features");
  const endsOn = document.getElementById("delegate-ends-on");
  const submit = document.getElementById("delegate-invite");
  const live = document.getElementById("members-status");
  const base = `/providers/${encodeURIComponent(providerId)}/delegations`;

  // One box per feature; ticking one that needs another ticks that too (as the API adds it).
  const inputs = Object.entries(FEATURES).map(([value, feature], n) => {
    const input = el("input", { type: "checkbox", id: `delegate-feature-${n}`, name: "features", value });
    input.checked = USUAL.includes(value);
    boxes.append(el("div", { className: "check-row" }, input, el("label", { htmlFor: input.id }, feature.label)));
    return input;
  });
  for (const input of inputs) {
    input.addEventListener("change", () => {
      const needs = FEATURES[input.value].needs;
      if (input.checked && needs) inputs.find((other) => other.value === needs).checked = true;
      for (const other of inputs) if (!input.checked && FEATURES[other.value].needs === input.value) other.checked = false;
    });
  }
  endsOn.min = isoDay();
  endsOn.max = isoDay(LONGEST_DAYS);

  function say(kind, title, parts = []) {
    notice(sectionNotice, kind, title, parts, { heading: "h3" });
    live.textContent = [title, ...parts.filter((p) => typeof p === "string")].join(". ");
  }

  function item(delegation) {
    const [statusText, kind] = STATUS[delegation.status] || [delegation.status, "closed"];
    const when = delegation.status === "active" ? `Until ${dayText(delegation.ends_on)}`
      : `${statusText} ${shortDate(delegation.ended_at)}`;
    const row = el("li", { className: "item", "data-delegate": delegation.account_id });
    const text = el("div", { className: "item-text" },
      el("strong", {}, delegation.company),
      el("span", {}, `${delegation.name} · ${delegation.email}`),
      el("span", { className: "hint" }, `May use: ${featureList(delegation.features)}`),
      el("span", { className: "hint" }, when));
    const actions = el("div", { className: "item-actions" }, el("span", { className: `status ${kind}` }, statusText));
    if (delegation.status === "active") {
      const revoke = el("button", { type: "button", className: "button secondary small" }, "Revoke");
      revoke.setAttribute("aria-label", `Revoke ${delegation.company} (${delegation.name})`);
      revoke.addEventListener("click", () => confirmInPlace(row, revoke,
        `Revoke ${delegation.name} of ${delegation.company}? Their access ends now; they are told by email.`,
        "Yes, revoke", () => revoked(delegation), "Revoking…"));
      actions.append(revoke);
    }
    row.append(el("div", { className: "item-row" }, text, actions));
    return row;
  }

  /** Load and show the delegates; false (section hidden) when this account may not manage them. */
  async function load() {
    const answer = await api(base);
    if (!answer.ok) {
      card.hidden = answer.status === 403;
      if (!card.hidden) say("error", answer.data.title, [answer.data.detail || ""].filter(Boolean));
      return false;
    }
    const shown = answer.data.delegations;
    list.replaceChildren(...(shown.length ? shown.map(item)
      : [el("li", { className: "empty" }, "No delegates yet.")]));
    card.hidden = false;
    return true;
  }

  async function revoked(delegation) {
    const answer = await api(`${base}/${encodeURIComponent(delegation.account_id)}`, { method: "DELETE" });
    await load();
    if (!answer.ok) {
      say(answer.status === 409 ? "warning" : "error", answer.data.title, [answer.data.detail || ""].filter(Boolean));
      return;
    }
    say("success", `${delegation.company} revoked`, [answer.data.message]);
  }

  /** Field errors next to their fields (focus on the first); anything else in the form's own notice. */
  function showErrors(problem) {
    const errors = (problem.errors || []).map((e) => (String(e.field || "").startsWith("features")
      ? { ...e, field: "features" } : e));
    showProblemInForm(form, formProblem, { ...problem, errors }, { focusNotice: true });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    formProblem.hidden = true;
    sectionNotice.hidden = true;
    const body = {
      email: document.getElementById("delegate-email").value.trim(),
      company: document.getElementById("delegate-company").value.trim(),
      features: inputs.filter((input) => input.checked).map((input) => input.value),
      ends_on: endsOn.value,
    };
    const missing = [["email", "Enter their email address."], ["company", "Enter the company's name."],
      ["ends_on", "Choose the last day they may act."]].filter(([field]) => !body[field])
      .map(([field, message]) => ({ field, message }));
    if (!body.features.length) missing.push({ field: "features", message: "Tick at least one thing they may use." });
    if (missing.length) {
      showErrors({ title: "Some fields need attention", errors: missing });
      return;
    }
    const answer = await whileBusy(submit, "Sending…", () => api(base, { method: "POST", body }));
    if (!answer.ok) {
      live.textContent = answer.data.title;
      showErrors(answer.data);
      return;
    }
    form.reset();
    for (const input of inputs) input.checked = USUAL.includes(input.value);
    say("success", "Invitation sent", [answer.data.message,
      "They appear in the list once they have accepted it."]);
  });

  return { load };
}

async function start() {
  if (!card) return;
  const { providerId } = await pageProvider((l) => l.role === "admin" && l.status === "active");
  if (providerId) await setUp(providerId).load();
}

start();
