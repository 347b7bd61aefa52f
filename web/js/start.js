// The start page, where a signed-in person with access lands: what needs them now across their
// Provider IDs (GET /start), one section per kind, each item a link to the page that does it; "and N
// more" links to the full list. When nothing does: the portal pages the person may use. The navigation
// hides the pages the person may use for no Provider ID.

import { api } from "./api.js";
import { showFeatures } from "./chrome.js";
import { el } from "./dom.js";
import { showProblem } from "./forms.js";
import { initPage } from "./page.js";
import { usDateTime } from "./portal-data.js";
import { headerSignOut, requireSession } from "./session.js";

const main = document.getElementById("main");
headerSignOut((problem) => showProblem(main, problem));
await initPage("Start");
await requireSession(["full"]);

const live = document.getElementById("start-status");
const sections = document.getElementById("start-items");

/** Each kind's section, in the order the API lists them: its heading and how its times read. */
const KINDS = {
  agreement: { heading: () => "Agreements to accept", when: () => null },
  access_request: {
    heading: () => "Access requests waiting for you",
    when: (item) => [`Asked ${day(item.at)}`, item.due ? `decide by ${day(item.due)}` : ""].filter(Boolean).join("; "),
  },
  delegation_ending: { heading: () => "Delegations ending soon", when: () => null },
  information_requested: {
    heading: () => "The plan asks for information",
    when: (item) => `Asked ${usDateTime(item.at)}`,
  },
  authorization_decided: {
    heading: (data) => (data.last_visit ? "Prior authorizations decided since your last visit"
      : "Prior authorizations decided in the last two weeks"),
    when: (item) => `Decided ${usDateTime(item.at)}`,
  },
  admission_open: {
    heading: () => "Stays without a discharge",
    when: (item) => `Admitted ${usDateTime(item.at)}`,
  },
};
/** An instant's day in the reader's time zone: "12/07/2026". */
function day(iso) {
  return usDateTime(iso).split(" ")[0];
}

const MORE = {
  access_request: "access requests", delegation_ending: "delegations", information_requested: "requests",
  authorization_decided: "decided requests", admission_open: "stays",
};
/** The four portal pages, each with the feature that opens it. */
const PAGES = [
  { href: "/eligibility.html", text: "Check eligibility and benefits", feature: "eligibility" },
  { href: "/claims.html", text: "Check claim status", feature: "claims" },
  { href: "/authorizations.html", text: "Prior authorizations", feature: "authorizations.view" },
  { href: "/admissions.html", text: "Hospital admissions", feature: "admissions.view" },
];

function itemOf(item) {
  const when = KINDS[item.kind].when(item);
  const where = item.provider_id ? `Provider ID ${item.provider_id}` : "";
  return el("li", { className: "item" }, el("div", { className: "item-text" },
    el("strong", {}, el("a", { href: item.link }, item.title)),
    el("span", {}, item.detail),
    el("span", { className: "hint" }, [where, when].filter(Boolean).join(" · "))));
}

function section(kind, items, more, data) {
  const id = `start-${kind.replace(/_/g, "-")}`;
  return el("section", { className: "card", id, "aria-labelledby": `${id}-heading` },
    el("h2", { id: `${id}-heading` }, KINDS[kind].heading(data)),
    el("ul", { className: "item-list", "aria-labelledby": `${id}-heading` }, ...items.map(itemOf)),
    ...more.map((m) => el("p", { className: "more" },
      el("a", { href: m.link }, `And ${m.count} more ${MORE[kind] || "items"} of ${m.provider_id}`))));
}

function empty(data) {
  const pages = PAGES.filter((page) => data.features.includes(page.feature));
  const links = pages.map((page, n) => el("a", { className: n ? "button secondary" : "button", href: page.href },
    page.text));
  if (!data.has_access) {
    document.getElementById("empty-text").textContent =
      "You have no provider access yet. Link your account to the Provider ID you work for; the portal opens "
      + "once access is granted.";
    links.push(el("a", { className: "button", href: "/access.html" }, "Go to provider access"));
  }
  document.getElementById("start-pages").replaceChildren(...links);
  document.getElementById("start-empty").hidden = false;
}

const answer = await api("/start");
if (!answer.ok) {
  showProblem(main, answer.data);
  live.textContent = answer.data.title || "";
} else {
  const data = answer.data;
  showFeatures(data.features);
  const kinds = Object.keys(KINDS).filter((kind) => data.items.some((item) => item.kind === kind));
  sections.replaceChildren(...kinds.map((kind) => section(kind, data.items.filter((item) => item.kind === kind),
    data.more.filter((m) => m.kind === kind), data)));
  if (!kinds.length) empty(data);
  const count = data.items.length + data.more.reduce((sum, m) => sum + m.count, 0);
  live.textContent = count ? `${count} ${count === 1 ? "thing needs" : "things need"} you.` : "Nothing needs you now.";
}
