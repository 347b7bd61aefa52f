// What the provider-access pages share: the words for each link status, the Provider ID a page is
// about (?provider=…), and small pieces of page for the next steps.

import { api } from "./api.js";
import { el } from "./dom.js";

/**
 * How each link status is worded for users, in one place. `label`/`kind`: the status of your own link
 * (kind: ok, action: the user acts, pending: others act, closed). `member`/`memberKind`: another user's
 * link as their administrator reads it (when it differs). `change`: the notice when your link changes
 * to this status while the page is open ([notice kind, title from the provider's name]).
 */
export const STATUS = {
  pending_verification: {
    label: "Waiting for provider relations to verify you", kind: "pending",
    member: "Being verified by provider relations",
  },
  pending_admin: { label: "Waiting for the administrator", kind: "pending" },
  pending_agreement: {
    label: "Your agreement needed", kind: "action",
    member: "Has not accepted the agreement yet", memberKind: "pending",
    change: ["info", (name) => `${name}: your agreement is needed`],
  },
  pending_org_agreement: { label: "Waiting for the organizational agreement", kind: "pending" },
  active: { label: "Access granted", kind: "ok", change: ["success", (name) => `You have access to ${name}`] },
  denied: {
    label: "Not approved", kind: "closed", member: "Denied",
    change: ["error", (name) => `Your request for ${name} was not approved`],
  },
  expired: {
    label: "Expired", kind: "closed", member: "Expired without a decision",
    change: ["error", (name) => `Your request for ${name} expired`],
  },
  removed: { label: "Removed", kind: "closed", change: ["error", (name) => `You were removed from ${name}`] },
};

/** The words for `status`: `statusLabel("denied")`, or as an administrator reads a member's link. */
export function statusLabel(status, { asAdmin = false } = {}) {
  const known = STATUS[status];
  if (!known) return String(status || "Unknown");
  return (asAdmin && known.member) || known.label;
}

/** The notice to show when your link to `providerName` changes to `status`: {kind, title} or null. */
export function statusChange(status, providerName) {
  const change = STATUS[status] && STATUS[status].change;
  return change ? { kind: change[0], title: change[1](providerName) } : null;
}

export const ROLE = { admin: "Administrator", member: "Member" };
export const LINK_TYPE = { group: "Group", practitioner: "Practitioner" };

export function isOpen(status) {
  return typeof status === "string" && status.startsWith("pending_");
}

/** Denied, expired or removed: nothing more happens to the link. */
export function isClosed(status) {
  return Boolean(STATUS[status]) && STATUS[status].kind === "closed";
}

/** A status pill: its text is the label, never the raw value (`asAdmin`: a member's link, see STATUS). */
export function statusTag(status, { asAdmin = false } = {}) {
  const known = STATUS[status] || { kind: "closed" };
  const kind = (asAdmin && known.memberKind) || known.kind;
  return el("span", { className: `status ${kind}` }, statusLabel(status, { asAdmin }));
}

/** The Provider ID named in the address (?provider=G1000001), or null when missing or malformed. */
export function providerParam() {
  const value = new URLSearchParams(window.location.search).get("provider");
  return value && /^[A-Za-z0-9-]{3,20}$/.test(value) ? value.toUpperCase() : null;
}

/** A link styled as a button: `linkButton("/agreement.html", "Read the agreement", "secondary small")`. */
export function linkButton(href, text, variant = "small") {
  return el("a", { className: `button ${variant}`.trim(), href }, text);
}

/** `/page.html?provider=ID`, with the ID encoded. */
export function providerPage(page, providerId) {
  return `${page}?provider=${encodeURIComponent(providerId)}`;
}

/**
 * The Provider ID a page is about: ?provider=…, or, when the address names none (mails link to the
 * page itself), the user's only link that `fits`. Answers {providerId} or, when it is not clear,
 * {choices: the fitting links} (maybe none) for the page to offer.
 */
export async function pageProvider(fits) {
  const named = providerParam();
  if (named) return { providerId: named, choices: [] };
  const answer = await api("/links");
  const choices = answer.ok ? answer.data.links.filter(fits) : [];
  if (choices.length === 1) {
    const providerId = choices[0].provider_id;
    history.replaceState(null, "", providerPage(window.location.pathname, providerId));
    return { providerId, choices };
  }
  return { providerId: null, choices };
}

/** A list of links to `page` for each of `links`, to choose the Provider ID a page is about. */
export function providerChoices(page, links) {
  return el("ul", { className: "choice-links" }, ...links.map((link) => el("li", {},
    el("a", { href: providerPage(page, link.provider_id) }, `${link.provider_name} (Provider ID ${link.provider_id})`))));
}
