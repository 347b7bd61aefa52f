// Provider access: each linked Provider ID with its role, status and next step, the actions the user
// can take (accept the agreement, sign the organizational agreement, manage members), and, once a
// link is active, the providers whose records are open. While a request waits, the page polls, so
// access shows up without a reload.

import { api, sitePath } from "./api.js";
import { clearErrors, showProblem } from "./forms.js";
import { dayText, el, notice, shortDate, sleep } from "./dom.js";
import { renderPortalTab, showFeatures } from "./chrome.js";
import { initPage } from "./page.js";
import { headerSignOut, requireSession } from "./session.js";
import { LINK_TYPE, ROLE, isClosed, isOpen, linkButton, providerPage, statusChange, statusLabel, statusTag, usableFeatures } from "./links.js";

const FAST_MS = 3000; // while a step is likely to finish soon
const SLOW_MS = 15000; // after a while: someone else (an administrator, provider relations) decides
const FAST_FOR_MS = 2 * 60 * 1000;

headerSignOut((problem) => showProblem(document.getElementById("main"), problem));
const config = await initPage("Provider access");
await requireSession(["full"]);
const requiresOrgAgreement = Boolean(config.requires_org_agreement);

const main = document.getElementById("main");
const list = document.getElementById("link-list");
const liveStatus = document.getElementById("access-status");
const accessNotice = document.getElementById("access-notice");
const linkAction = document.getElementById("link-action");
const linksHint = document.getElementById("links-hint");
const providersCard = document.getElementById("providers-card");
const providersProblem = document.getElementById("providers-problem");
const providersWrap = document.getElementById("providers-wrap");
const providersHint = document.getElementById("providers-hint");
const providerRows = document.getElementById("provider-rows");
const portalLinks = document.getElementById("portal-links");

const params = new URLSearchParams(window.location.search);
const justLinked = params.get("linked");
if (justLinked) history.replaceState(null, "", window.location.pathname);

let shown = ""; // the links last rendered, to leave the list alone when nothing changed
let shownActive = null; // the active Provider IDs whose providers are listed
let statuses = null; // provider_id → status at the previous poll
let loadFailed = false;

/** The statuses that wait for the user: the page's one primary button is the first such link's step. */
const USER_STEPS = new Set(["pending_agreement", "pending_org_agreement"]);
let nextStepOf = null; // the Provider ID whose step is the page's primary button

function actionsFor(link) {
  const name = link.provider_name;
  const actions = [];
  const mine = link.provider_id === nextStepOf;
  if (link.status === "pending_agreement") {
    actions.push(linkButton("/agreement.html", "Read and accept the Provider Agreement", mine ? "" : "secondary small"));
  }
  if (link.status === "pending_org_agreement" || (requiresOrgAgreement && link.link_type === "group"
      && link.status === "active")) {
    const a = linkButton(providerPage("/org-agreement.html", link.provider_id), "Organizational agreement",
      link.status === "active" || !mine ? "secondary small" : "");
    a.setAttribute("aria-label", `Organizational agreement of ${name}`);
    actions.push(a);
  }
  if (link.status === "active" && link.role === "admin") {
    const a = linkButton(providerPage("/members.html", link.provider_id), "Manage members", "secondary small");
    a.setAttribute("aria-label", `Manage members of ${name}`);
    actions.push(a);
  }
  if (isClosed(link.status) && link.role !== "delegate") { // a delegate is invited again instead
    const a = linkButton("/link.html", "Ask again", "secondary small");
    a.setAttribute("aria-label", `Ask again for ${name}`);
    actions.push(a);
  }
  return actions;
}

function linkItem(link) {
  const facts = [LINK_TYPE[link.link_type] || link.link_type, `Provider ID ${link.provider_id}`,
    link.role === "delegate" ? `Delegate for ${link.company}, until ${dayText(link.ends_on)}` : ROLE[link.role] || link.role];
  const since = shortDate(link.requested_at);
  if (since) facts.push(`requested ${since}`);
  const item = el("li", { className: "item", "data-provider": link.provider_id },
    el("div", { className: "item-row" },
      el("div", { className: "item-text" },
        el("strong", {}, link.provider_name),
        el("span", { className: "hint" }, facts.join(" · "))),
      statusTag(link.status)),
    link.next_step ? el("p", { className: "next-step" }, link.next_step) : null,
    el("div", { className: "item-actions" }, ...actionsFor(link)));
  if (link.provider_id === justLinked) item.classList.add("highlight");
  return item;
}

/** Say what changed since the last poll, for screen readers (and in the notice when access arrives). */
function announce(links) {
  const changed = [];
  for (const link of links) {
    const before = statuses && statuses.get(link.provider_id);
    if (statuses && before !== link.status) {
      changed.push(`${link.provider_name}: ${statusLabel(link.status)}. ${link.next_step || ""}`.trim());
      const said = statusChange(link.status, link.provider_name);
      if (said) notice(accessNotice, said.kind, said.title, [link.next_step || ""].filter(Boolean), { focus: false });
    }
  }
  statuses = new Map(links.map((link) => [link.provider_id, link.status]));
  if (changed.length) liveStatus.textContent = changed.join(" ");
}

function welcome(links) {
  const link = links.find((l) => l.provider_id === justLinked);
  if (!link) return;
  const parts = link.role === "admin"
    ? [`You are the first to link ${link.provider_name}, so you are its administrator: you approve the others who ask for access.`]
    : [`Your request went to the administrator of ${link.provider_name}. We email you when it is decided.`];
  if (link.role === "admin" && link.next_step) parts.push(link.next_step);
  notice(accessNotice, "success", link.role === "admin" ? `Provider ID ${link.provider_id} linked` : "Request sent", parts);
}

function render(links) {
  const json = JSON.stringify(links);
  if (json === shown) return;
  shown = json;
  // One primary button, the next step: the first link's step that waits for the user; else, with no
  // link yet, linking one; else the first portal page.
  nextStepOf = (links.find((l) => USER_STEPS.has(l.status)) || {}).provider_id || null;
  list.replaceChildren(...(links.length ? links.map(linkItem)
    : [el("li", { className: "empty" }, "No Provider IDs yet. Link your account to the Provider ID you work for.")]));
  linkAction.textContent = links.length ? "Link another Provider ID" : "Link a Provider ID";
  linkAction.className = links.length ? "button secondary" : "button";
  portalLinks.querySelector(".button").classList.toggle("secondary", Boolean(nextStepOf));
  linksHint.hidden = !links.some((l) => isOpen(l.status));
}

async function loadProviders(active) {
  const key = active.map((l) => l.provider_id).sort().join(",");
  if (key === shownActive) return;
  shownActive = key;
  providersCard.hidden = !active.length;
  if (!active.length) return;
  const answer = await api("/portal/providers");
  if (!answer.ok) {
    const problem = answer.data;
    const parts = [el("h3", {}, problem.title)];
    if (problem.detail) parts.push(el("p", {}, problem.detail));
    const next = sitePath(problem.agreement);
    if (next) parts.push(el("p", {}, el("a", { href: next }, "Read the Provider Agreement")));
    providersProblem.replaceChildren(...parts);
    providersProblem.hidden = false;
    providersWrap.hidden = true;
    providersHint.hidden = true;
    portalLinks.hidden = true;
    shownActive = null; // ask again at the next poll
    return;
  }
  providersProblem.hidden = true;
  providersHint.hidden = false;
  const providers = answer.data.providers;
  providerRows.replaceChildren(...providers.map((p) => el("tr", {},
    el("td", { className: "id" }, p.provider_id),
    el("td", {}, p.name),
    el("td", {}, LINK_TYPE[p.provider_type] || p.provider_type),
    el("td", {}, p.zips.join(", ")),
    el("td", { className: "id" }, p.via_link))));
  providersWrap.hidden = !providers.length;
  portalLinks.hidden = false;
  if (!providers.length) providersHint.textContent = "No providers are on the plan's current roster for your links.";
}

/** One look at the links; returns them, or null when they could not be loaded. */
async function refresh() {
  const answer = await api("/links");
  if (!answer.ok) {
    if (!loadFailed) showProblem(main, answer.data);
    loadFailed = true;
    if (!shown) list.replaceChildren(el("li", { className: "empty" }, "Your Provider IDs could not be loaded. Reload the page."));
    return null;
  }
  if (loadFailed) clearErrors(main);
  loadFailed = false;
  const links = answer.data.links;
  render(links);
  renderPortalTab(config.portal_tab, links.some((l) => l.status === "active")); // the tab appears with access
  showFeatures(usableFeatures(links));
  announce(links);
  await loadProviders(links.filter((l) => l.status === "active"));
  return links;
}

function visible() {
  if (!document.hidden) return Promise.resolve();
  return new Promise((resolve) => {
    document.addEventListener("visibilitychange", function wait() {
      if (document.hidden) return;
      document.removeEventListener("visibilitychange", wait);
      resolve();
    });
  });
}

const first = await refresh();
if (first) welcome(first);
const started = Date.now();
let links = first;
while (!links || links.some((l) => isOpen(l.status))) {
  await sleep(Date.now() - started < FAST_FOR_MS ? FAST_MS : SLOW_MS);
  await visible();
  links = await refresh();
}
