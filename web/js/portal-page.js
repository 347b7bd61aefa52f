// How the portal pages (eligibility, claims, authorizations, admissions) start and move between
// their views: the signed-in page, the Provider ID the user acts for (or the notice that says why
// there is none), and, on a page that opens one record in place of its list (?claim=…,
// ?authorization=…), the history entries, the back link and the browser's back and forward.

import { api } from "./api.js";
import { showFeatures } from "./chrome.js";
import { el, notice } from "./dom.js";
import { showProblem } from "./forms.js";
import { FEATURES, gives, providerParam, usableFeatures, whoGives } from "./links.js";
import { initPage } from "./page.js";
import { activeLinks, fillActingFor, hideNotice, noAccessNotice, problemNotice } from "./portal-data.js";
import { headerSignOut, requireSession } from "./session.js";

/**
 * Brand the page (`title` names it in the tab), wire "Sign out" and wait for a full session. Answers
 * the parts every portal page has: its notice (#<name>-notice), its status region (#<name>-status,
 * `live`) and the select of the Provider ID the user acts for (#acting_for).
 */
export async function openPortalPage(title, name) {
  const main = document.getElementById("main");
  headerSignOut((problem) => showProblem(main, problem));
  await initPage(title);
  await requireSession(["full"]);
  return {
    pageNotice: document.getElementById(`${name}-notice`),
    live: document.getElementById(`${name}-status`),
    actingFor: document.getElementById("acting_for"),
  };
}

/**
 * The user's active links that give the page's `feature` (all of them without one), with the "Provider
 * ID you act for" select (#acting_for) filled from them (?provider=… chosen when it is one of them); null
 * when there are none or they could not be loaded, after saying so in `pageNotice`.
 */
export async function actingForLinks(pageNotice, feature = null) {
  const active = await activeLinks();
  if (active === null) {
    problemNotice(pageNotice, { title: "Your Provider IDs could not be loaded", detail: "Reload the page in a moment." });
    return null;
  }
  showFeatures(usableFeatures(active));
  if (!active.length) {
    noAccessNotice(pageNotice);
    return null;
  }
  const links = feature ? active.filter((link) => gives([link], link.provider_id, feature)) : active;
  if (!links.length) {
    featureNotice(pageNotice, feature, active);
    return null;
  }
  const select = document.getElementById("acting_for");
  fillActingFor(select, links, providerParam());
  fillProviderLists(select);
  select.addEventListener("change", () => fillProviderLists(select));
  return links;
}

/** The notice in place of a page whose feature none of the person's `links` gives: who can give it. */
function featureNotice(box, feature, links) {
  const ids = links.map((link) => link.provider_id).join(", ");
  notice(box, "info", `Your access does not include ${FEATURES[feature].words}`, [
    whoGives(links.length === 1 ? links[0] : null, ids),
    el("p", {}, el("a", { href: "/access.html" }, "Go to provider access")),
  ]);
}

/**
 * What a page offers only with `feature` on the link acted for (sending a request, notifying an
 * admission): without it, the elements `hide` are hidden and a line before `before` says who can give
 * it; with it, `show` are shown again. Follows the Provider ID acted for; answers whether it is given now.
 */
export function featureGate(links, actingFor, feature, { before, hide, show = hide }) {
  const line = el("div", { className: "notice", id: `${feature.replace(".", "-")}-not-granted`, role: "note",
    hidden: true });
  before.before(line);
  const apply = () => {
    const granted = gives(links, actingFor.value, feature);
    for (const element of granted ? show : hide) element.hidden = !granted;
    line.hidden = granted;
    if (!granted) {
      const link = links.find((l) => l.provider_id === actingFor.value);
      notice(line, "info", "", [`Your access to ${actingFor.value} does not include ${FEATURES[feature].words}. `
        + whoGives(link, actingFor.value)], { focus: false });
    }
    return granted;
  };
  actingFor.addEventListener("change", apply);
  apply();
  return () => gives(links, actingFor.value, feature);
}

let scope = null; // the answer of GET /portal/providers, asked once per page

/** The providers whose records are open to the user, each with the linked Provider IDs that open it
 * (via_links); [] when they could not be loaded. */
export function providersInScope() {
  if (!scope) scope = api("/portal/providers").then((answer) => (answer.ok ? answer.data.providers : []));
  return scope;
}

/**
 * The providers whose records are open acting for `providerId` (one of the user's active links): that
 * Provider ID first, then, for a group, every provider under its Tax ID ({provider_id, name}).
 */
export async function providersActingFor(providerId) {
  const open = (await providersInScope()).filter((p) => (p.via_links || [p.via_link]).includes(providerId));
  const self = open.find((p) => p.provider_id === providerId) || { provider_id: providerId, name: "" };
  return [self, ...open.filter((p) => p !== self)];
}

/** A provider as a choice: "P2000001 – Maria Lopez". */
export function providerChoice(provider) {
  return provider.name ? `${provider.provider_id} – ${provider.name}` : provider.provider_id;
}

/** Fill the page's suggestion lists of Provider IDs (datalist[data-providers], for the inputs that name
 * a provider) with the providers open acting for the chosen Provider ID. */
async function fillProviderLists(actingFor) {
  const lists = document.querySelectorAll("datalist[data-providers]");
  if (!lists.length) return;
  const open = await providersActingFor(actingFor.value);
  for (const list of lists) {
    list.replaceChildren(...open.map((p) => el("option", { value: p.provider_id }, p.name || p.provider_id)));
  }
}

/**
 * Keep `input` (a Provider ID on a form: the requesting provider, the facility) on the Provider ID
 * acted for: filled with it now, and changed with it unless the user wrote another one.
 */
export function followActingFor(actingFor, input) {
  input.value = actingFor.value;
  let actedFor = actingFor.value;
  actingFor.addEventListener("change", () => {
    if (!input.value || input.value.toUpperCase() === actedFor) input.value = actingFor.value;
    actedFor = actingFor.value;
  });
}

/** GET one record of `collection` (claims, authorizations, admissions) by its number, acting for `actingFor`. */
export function fetchRecord(collection, id, actingFor) {
  return api(`/${collection}/${encodeURIComponent(id)}?acting_for=${encodeURIComponent(actingFor)}`);
}

/**
 * A page that shows one record in place of its list when the address names it (?`param`=…, with
 * ?provider=… the Provider ID acted for). Opening a record from the list adds a history entry marked
 * `{[mark]: true}`; the back link (#back) then goes back in history, to the list as it was left, and
 * back and forward show what the address names. Options:
 *   page: the list's address (where a record that cannot be shown leads back to);
 *   listView, detailView: the two views; detail: where the record goes; live: the status region;
 *   pageNotice: hidden on every move; actingFor: the select of the Provider ID acted for;
 *   collection: the API's collection of the records; loading: what is said while one loads;
 *   show(record): render it; failed(answer, id): say why it could not be shown, back at the list;
 *   before(): what else each move clears (optional).
 * Answers {route, open, link}: show what the address names; go to an address on this page; a link
 * to an address on this page (a plain click opens it here, others as links do).
 */
export function recordView({
  param, mark, page, listView, detailView, detail, live, pageNotice, actingFor, collection, loading, show, failed,
  before = () => {},
}) {
  function showList() {
    detailView.hidden = true;
    listView.hidden = false;
  }

  async function route() {
    const id = new URLSearchParams(window.location.search).get(param);
    before();
    hideNotice(pageNotice);
    if (!id) {
      showList();
      return;
    }
    const acting = providerParam();
    if (acting && [...actingFor.options].some((o) => o.value === acting)) actingFor.value = acting;
    listView.hidden = true;
    detailView.hidden = false;
    detail.replaceChildren(el("p", { className: "empty" }, loading));
    live.textContent = loading;
    const answer = await fetchRecord(collection, id, actingFor.value);
    if (answer.ok) {
      show(answer.data);
      return;
    }
    // Not found (or not open to you): back to the list, saying so.
    history.replaceState(null, "", page);
    showList();
    failed(answer, id);
  }

  function open(address) {
    history.pushState({ [mark]: true }, "", address);
    return route();
  }

  function link(address, text) {
    const anchor = el("a", { href: address }, text);
    anchor.addEventListener("click", (event) => {
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      open(anchor.getAttribute("href"));
    });
    return anchor;
  }

  document.getElementById("back").addEventListener("click", (event) => {
    if (history.state && history.state[mark]) {
      event.preventDefault();
      history.back(); // the list is still on the page, as it was left
    }
  });
  window.addEventListener("popstate", route);
  return { route, open, link };
}
