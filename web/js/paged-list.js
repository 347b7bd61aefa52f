// The list of a portal page's records (claims, authorizations, admissions), which the API answers a
// page at a time: the search is POSTed to /<kind>s/search; the answer holds the page's records
// under `<kind>s` and, when there are more, `next_cursor`, which the "More …" button (#more) sends
// with the same search for the next page. The page keeps only what differs: its search, its rows
// and its words.

import "./record-parts.js"; // defines <dated-list> and <member-fields> before a page reads what they render
import { api } from "./api.js";
import { clearErrors, formValues, showProblem, whileBusy } from "./forms.js";
import { hideNotice, isoDay, problemNotice, sayRefusal } from "./portal-data.js";

/** "1 claim", "2 claims". */
export function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** Start the search's dates (#from_date, #to_date) at the last `days` days. */
export function lastDays(days) {
  document.getElementById("from_date").value = isoDay(-days);
  document.getElementById("to_date").value = isoDay();
}

/**
 * The list of `kind` ("claim": /claims/search, rows in #claim-rows). Options:
 *   row(record): the record's <tr>;
 *   keyed: a record's row is marked tr.<kind> with data-<kind> its `<kind>_id`: such rows can be
 *     found and updated (`rowOf`, `upsert`), a record already shown is not added twice, and rows
 *     that follow one and are not records (a form opened on it) go with it;
 *   part: the list's heading, summary (the count said) and table box (hidden while nothing is
 *     shown) are #<part>-heading, #<part>-summary and #<part>-wrap ("list" unless said);
 *   live: the status region; pageNotice: hidden when more is asked for;
 *   box: shown with a page, hidden when a new search fails (optional);
 *   busyLabel: what the search's button (#search) says while the first page loads;
 *   loading: [said while the first page loads, said while the next one does];
 *   none(query), some(count, query): the words of an empty list and of `count` records, for the
 *     search `query` shown; "; more are available" and the period are added;
 *   focus: what to focus in the first row of a next page ("th" unless said);
 *   failed(answer, append): say why a page could not be loaded (the live region has its title);
 *     by default, field errors go on `form` and anything else in `pageNotice`;
 *   settled(append): run once the answer is in, whatever it is (optional).
 * A list with a search form of its own (its dates; the rest is the Provider ID acted for) also takes
 *   form: that form, whose submission shows the list again (`reload`), focused on its heading;
 *   title(): the text of the list's heading; query(values): the search, of the form's values;
 *   atDates: the fields whose errors are about the search as a whole, shown at its last date (to_date).
 */
export function pagedList({
  kind, row, keyed = false, part = "list", live, pageNotice, box, busyLabel = "Loading…", loading, none, some,
  focus = "th", failed, settled = () => {}, form, title, query: ofValues, atDates = [],
}) {
  const rows = document.getElementById(`${kind}-rows`);
  const heading = document.getElementById(`${part}-heading`);
  const summary = document.getElementById(`${part}-summary`);
  const wrap = document.getElementById(`${part}-wrap`);
  const button = document.getElementById("search");
  const more = document.getElementById("more");
  const selector = keyed ? `tr.${kind}` : "tr";
  let query = null; // the body of the search shown, to ask for its next page
  let cursor = null;

  const idOf = (record) => record[`${kind}_id`];

  function rowFor(record) {
    const tr = row(record);
    if (keyed) {
      tr.classList.add(kind);
      tr.dataset[kind] = idOf(record);
    }
    return tr;
  }

  /** The row of the record `id` (null when it is not shown, or rows are not keyed). */
  function rowOf(id) {
    if (!keyed) return null;
    return [...rows.querySelectorAll(selector)].find((tr) => tr.dataset[kind] === id) || null;
  }

  /** Say how many are shown (and show the table when there are any); returns what was said. */
  function say() {
    const count = rows.querySelectorAll(selector).length;
    const said = count === 0 ? none(query) : `${some(count, query)}${cursor ? "; more are available" : ""}.`;
    summary.textContent = said;
    wrap.hidden = count === 0;
    return said;
  }

  function showOnForm(answer) {
    const problem = answer.data;
    if (answer.status === 422 && Array.isArray(problem.errors)) {
      showProblem(form, { ...problem, errors: problem.errors.map((e) => (
        atDates.includes(e.field) ? { ...e, field: "to_date" } : e)) });
    } else {
      problemNotice(pageNotice, problem, "error");
    }
  }

  async function load(body, append) {
    live.textContent = loading[append ? 1 : 0];
    let answer;
    try {
      answer = await whileBusy(append ? more : button, append ? "Loading…" : busyLabel,
        () => api(`/${kind}s/search`, { method: "POST", body }));
    } finally {
      settled(append);
    }
    if (!answer.ok) {
      if (box && !append) box.hidden = true;
      sayRefusal(live, answer);
      (failed || showOnForm)(answer, append);
      return false;
    }
    if (!append) rows.replaceChildren();
    const shown = answer.data[`${kind}s`].map((record) => rowOf(idOf(record)) || rows.appendChild(rowFor(record)));
    cursor = answer.data.next_cursor || null;
    more.hidden = !cursor;
    live.textContent = say();
    if (box) box.hidden = false;
    if (append && shown.length) shown[0].querySelector(focus)?.focus();
    return true;
  }

  /** Show the first page of the search `body` (then focus the list's heading when `focusHeading`). */
  async function search(body, focusHeading = false) {
    query = body;
    cursor = null;
    const shown = await load(body, false);
    if (shown && focusHeading) heading.focus();
  }

  /** Show the list of the search form again. */
  async function reload(focusHeading) {
    clearErrors(form);
    const body = ofValues(formValues(form));
    heading.textContent = title();
    await search(body, focusHeading);
  }

  more.addEventListener("click", async () => {
    if (!query || !cursor) return;
    hideNotice(pageNotice);
    await load({ ...query, cursor }, true);
  });
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      hideNotice(pageNotice);
      await reload(true);
    });
  }

  /**
   * Put `record` in the list: in place of its row, or first when `add`; marked as the one just
   * handled. Returns its row (null when it was not shown and not added).
   */
  function upsert(record, add = true) {
    const old = rowOf(idOf(record));
    if (!old && !add) return null;
    for (const marked of rows.querySelectorAll("tr.highlight")) marked.classList.remove("highlight");
    const fresh = rowFor(record);
    fresh.classList.add("highlight");
    if (old) {
      while (old.nextElementSibling && !old.nextElementSibling.matches(selector)) old.nextElementSibling.remove();
      old.replaceWith(fresh);
    } else {
      rows.prepend(fresh);
    }
    say();
    return fresh;
  }

  /**
   * Put a record just made first in the list when it is one of the list's: the search shown is of
   * its Provider ID (`providerId`), or none is shown yet.
   */
  function add(record, providerId) {
    if (!query || providerId === query.acting_for) upsert(record);
  }

  return { search, reload, rowOf, upsert, add };
}
