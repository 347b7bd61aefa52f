// The published prior authorization metrics (public, no sign-in): the newest published year, or the one in
// ?year=, as tables of percentages with the counts behind them, decision times, and the method text the
// figures were published with. Choosing another year loads it and keeps it in the address.

import { api } from "./api.js";
import { el, notice } from "./dom.js";
import { initPage } from "./page.js";
import { hideNotice, problemNotice, table, usDateTime } from "./portal-data.js";

const config = await initPage("Prior authorization metrics");
const pageNotice = document.getElementById("metrics-notice");
const live = document.getElementById("metrics-status");
const form = document.getElementById("year-form");
const select = document.getElementById("year");
const section = document.getElementById("metrics");
const BASE = "/public/prior-authorization-metrics";
const DOORS = [["portal", "Through this portal"], ["api", "From providers' systems (API)"],
  ["import", "From the plan's own systems"]];

/** "80.0%" with "8 of 10" under it; an empty figure says there was nothing to count. */
function share(percent, part, whole) {
  if (percent === null || percent === undefined) return { num: el("span", {}, "—", el("span", { className: "hint" }, "none to count")) };
  return { num: el("span", {}, `${percent.toFixed(1)}%`, el("span", { className: "hint" }, `${part} of ${whole}`)) };
}

function hours(value) {
  return { num: value === null || value === undefined ? "—" : `${value.toFixed(1)} hours` };
}

function outcomeRows(s, e) {
  return [
    [{ th: "Requests decided" }, { num: String(s.determinations) }, { num: String(e.determinations) }],
    [{ th: "Approved (in full or in part)" }, share(s.approved_percent, s.approved, s.determinations),
      share(e.approved_percent, e.approved, e.determinations)],
    [{ th: "of which approved in part" }, share(s.partially_approved_percent, s.partially_approved, s.determinations),
      share(e.partially_approved_percent, e.partially_approved, e.determinations)],
    [{ th: "Denied" }, share(s.denied_percent, s.denied, s.determinations),
      share(e.denied_percent, e.denied, e.determinations)],
    [{ th: "Approved after appeal (of those denied or approved in part)" },
      share(s.approved_after_appeal_percent, s.approved_after_appeal, s.appealable),
      share(e.approved_after_appeal_percent, e.approved_after_appeal, e.appealable)],
    [{ th: "Review time extended, then approved" },
      share(s.extended_approved_percent, s.extended_approved, s.determinations),
      share(e.extended_approved_percent, e.extended_approved, e.determinations)],
  ];
}

function render(metrics) {
  const { standard: s, expedited: e } = metrics;
  for (const node of section.querySelectorAll("[data-year]")) node.textContent = String(metrics.year);
  document.getElementById("metrics-computed").textContent = `Calendar year ${metrics.year} in US Eastern time; `
    + `computed ${usDateTime(metrics.computed_at)}.`;
  const columns = ["", { num: "Standard requests" }, { num: "Expedited requests" }];
  const left = metrics.excluded;
  document.getElementById("metrics-tables").replaceChildren(
    table(`Outcomes of the requests decided in ${metrics.year}`, columns, outcomeRows(s, e), { id: "outcomes-table" }),
    table("Time from the request to the decision", columns, [
      [{ th: "Average" }, hours(s.average_hours), hours(e.average_hours)],
      [{ th: "Median" }, hours(s.median_hours), hours(e.median_hours)],
    ], { id: "times-table" }),
    table("Requests decided, by how they reached the plan", ["", { num: "Requests" }],
      DOORS.map(([door, words]) => [{ th: words }, { num: String(metrics.by_door[door] ?? 0) }]), { id: "doors-table" }),
    table("Decided in the year but not counted", ["", { num: "Requests" }], [
      [{ th: "Appeals (counted through the request they appeal)" }, { num: String(left.appeals) }],
      [{ th: "Drugs" }, { num: String(left.drugs) }],
      [{ th: "Withdrawn" }, { num: String(left.withdrawn) }],
    ], { id: "excluded-table" }));
  document.getElementById("metrics-method").textContent = metrics.method;
  document.getElementById("metrics-data").href = `${config.api}${BASE}/${metrics.year}`;
  section.hidden = false;
}

async function show(year) {
  live.textContent = `Loading ${year}…`;
  const answer = await api(`${BASE}/${year}`);
  if (!answer.ok) {
    section.hidden = true;
    problemNotice(pageNotice, answer.data);
    live.textContent = answer.data.title || "";
    return;
  }
  hideNotice(pageNotice);
  render(answer.data);
  live.textContent = `Showing ${year}.`;
}

const listed = await api(BASE);
if (!listed.ok) {
  problemNotice(pageNotice, listed.data);
} else if (!listed.data.years.length) {
  notice(pageNotice, "info", "Nothing published yet", ["The first year's figures appear here once they are published."],
    { focus: false });
} else {
  const { years, latest } = listed.data;
  const asked = Number(new URLSearchParams(window.location.search).get("year"));
  select.replaceChildren(...years.map((year) => el("option", { value: String(year) }, String(year))));
  select.value = String(years.includes(asked) ? asked : latest);
  form.hidden = false;
  form.addEventListener("submit", (event) => event.preventDefault());
  select.addEventListener("change", () => {
    const url = new URL(window.location.href);
    url.searchParams.set("year", select.value);
    window.history.replaceState(null, "", url);
    show(select.value);
  });
  await show(select.value);
}
