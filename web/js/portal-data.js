// What the portal pages (eligibility, claims, authorizations, admissions) share: the Provider ID the
// user acts for (a select of their active links, shown only when there are several), money, dates and
// statuses as users read them, and the notices for answers that are not field errors (no access,
// agreement needed, not found, too many).

import { api, sitePath } from "./api.js";
import { el, notice } from "./dom.js";

/** "25.00" → "$25.00"; "2000.00" → "$2,000.00"; "-5.00" → "-$5.00"; nothing → an em dash. */
export function money(amount) {
  if (amount === null || amount === undefined || amount === "") return "—";
  const text = String(amount);
  const negative = text.startsWith("-");
  const [whole, cents] = (negative ? text.slice(1) : text).split(".");
  const grouped = /^\d+$/.test(whole) ? whole.replace(/\B(?=(\d{3})+$)/g, ",") : whole;
  return `${negative ? "-" : ""}$${grouped}${cents === undefined ? "" : `.${cents}`}`;
}

/** "2026-03-12" → "03/12/2026" (read as a calendar date, never shifted by the time zone). */
export function usDate(iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso || ""));
  return match ? `${match[2]}/${match[3]}/${match[1]}` : "—";
}

/** An instant ("2026-03-12T14:05:00Z") → "03/12/2026 2:05 PM", in the reader's time zone. */
export function usDateTime(iso) {
  if (!iso) return "—";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "—";
  const pad = (n) => String(n).padStart(2, "0");
  const hours = at.getHours();
  return `${pad(at.getMonth() + 1)}/${pad(at.getDate())}/${at.getFullYear()} `
    + `${hours % 12 || 12}:${pad(at.getMinutes())} ${hours < 12 ? "AM" : "PM"}`;
}

/** A date range as users read it; an open end is "ongoing". */
export function usRange(start, end, openEnd = "ongoing") {
  return `${usDate(start)} – ${end ? usDate(end) : openEnd}`;
}

/** Today, `days` from now, as YYYY-MM-DD in the user's time zone (what a date input holds). */
export function isoDay(days = 0) {
  const day = new Date();
  day.setDate(day.getDate() + days);
  const pad = (n) => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

/** The user's active links ([] when none), or null when they could not be loaded. */
export async function activeLinks() {
  const answer = await api("/links");
  if (!answer.ok) return null;
  return answer.data.links.filter((link) => link.status === "active");
}

/**
 * Fill the "Provider ID you act for" select with the active links; its field is shown only when
 * there is a choice. `preferred` (such as ?provider=…) is chosen when it is one of them.
 */
export function fillActingFor(select, links, preferred) {
  select.replaceChildren(...links.map((link) => el("option", { value: link.provider_id },
    `${link.provider_name} (${link.provider_id})`)));
  if (preferred && links.some((link) => link.provider_id === preferred)) select.value = preferred;
  const box = select.closest("[data-field]");
  if (box) box.hidden = links.length < 2;
}

/** The notice for a user without an active link: the pages open once access is granted. */
export function noAccessNotice(box) {
  notice(box, "info", "No provider access yet", [
    "Link your account to a Provider ID. Member eligibility and claims open once access is granted.",
    el("p", {}, el("a", { href: "/access.html" }, "Go to provider access")),
  ]);
}

const NEXT_STEPS = { agreement: "Read the Provider Agreement", access: "Go to provider access", link: "Link a Provider ID" };

/** Show a problem that is not about one field (`kind`: error, warning or info) with its way on. */
export function problemNotice(box, problem, kind = "error") {
  const parts = [];
  if (problem.detail) parts.push(problem.detail);
  for (const [member, text] of Object.entries(NEXT_STEPS)) {
    const href = sitePath(problem[member]);
    if (href) parts.push(el("p", {}, el("a", { href }, text)));
  }
  notice(box, kind, problem.title || "Something went wrong", parts);
}

/** Say the title of a refused request in the status region `live`; answers its problem. */
export function sayRefusal(live, answer) {
  live.textContent = answer.data.title || "";
  return answer.data;
}

/** Hide a notice shown earlier. */
export function hideNotice(box) {
  box.hidden = true;
  box.replaceChildren();
}

/** A status pill: `kind` is one of the CSS classes (ok, action, pending, closed, error). */
export function tag(text, kind) {
  return el("span", { className: `status ${kind}` }, text);
}

/** A record's `status` as a pill, in the page's `words` ({status: [label, kind]}); an unknown one as it is. */
export function statusTag(words, status) {
  const [label, kind] = words[status] || [String(status), "closed"];
  return tag(label, kind);
}

/** A description list of [term, value] pairs; pairs without a value are left out. */
export function facts(pairs) {
  const list = el("dl", { className: "facts" });
  for (const [term, value] of pairs) {
    if (value === null || value === undefined || value === "") continue;
    list.append(el("dt", {}, term), el("dd", {}, value));
  }
  return list;
}

/**
 * A data table in its scrollable, labelled region: `columns` are header texts ({num: text} for a
 * column of amounts, aligned right); each row is a list of
 * cells, strings or nodes (or a row already made, a <tr>); a cell given as {th: text} is a row header,
 * {id: text} a monospaced ID, {num: text} an amount.
 */
export function table(caption, columns, rows, { id } = {}) {
  const body = el("tbody", {}, ...rows.map((cells) => (cells instanceof Node ? cells : row(cells))));
  const captionId = id ? `${id}-caption` : undefined;
  const tableNode = el("table", { className: "data-table", id },
    el("caption", { id: captionId }, caption),
    el("thead", {}, el("tr", {}, ...columns.map((column) => (typeof column === "object"
      ? el("th", { scope: "col", className: "num" }, column.num) : el("th", { scope: "col" }, column))))),
    body);
  const wrap = el("div", { className: "table-wrap", tabindex: "0", role: "region" }, tableNode);
  if (captionId) wrap.setAttribute("aria-labelledby", captionId);
  else wrap.setAttribute("aria-label", caption);
  return wrap;
}

/** A table row of `cells` as `table` takes them (a row made here may carry a class). */
export function row(cells, className) {
  return el("tr", { className }, ...cells.map(cell));
}

function cell(value) {
  if (value && typeof value === "object" && !(value instanceof Node)) {
    if ("th" in value) return el("th", { scope: "row" }, value.th);
    if ("id" in value) return el("td", { className: "id" }, value.id);
    if ("num" in value) return el("td", { className: "num" }, value.num);
  }
  return el("td", {}, value === null || value === undefined ? "—" : value);
}
