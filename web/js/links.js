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

/**
 * What a person may use for a Provider ID, as the pages name each feature (`label`) and say it in a
 * sentence (`words`); the API's rule and presets are functions/shared/services/access.py. Doing implies
 * seeing: sending a request needs its list, notifying needs the admissions list (`needs`).
 */
export const FEATURES = {
  eligibility: { label: "Eligibility and benefits", words: "eligibility" },
  claims: { label: "Claim status", words: "claims" },
  "authorizations.view": { label: "See prior authorizations", words: "viewing prior authorizations" },
  "authorizations.submit": { label: "Send prior authorizations and answer the plan",
    words: "sending prior authorizations", needs: "authorizations.view" },
  "admissions.view": { label: "See admissions", words: "viewing admissions" },
  "admissions.notify": { label: "Notify admissions and record discharges", words: "notifying admissions",
    needs: "admissions.view" },
};
const ALL_FEATURES = Object.keys(FEATURES);
/** The presets an administrator gives in one click (as the API's FEATURE_PRESETS). */
export const PRESETS = {
  standard: { label: "Standard user", hint: "Everything but managing people", features: ALL_FEATURES },
  billing: { label: "Billing", hint: "Eligibility and claims", features: ["eligibility", "claims"] },
  clinical: { label: "Clinical", hint: "Eligibility, prior authorizations and admissions",
    features: ALL_FEATURES.filter((f) => f !== "claims") },
};

/** "eligibility, claims and viewing admissions": features as a sentence says them ("nothing" when none). */
export function featureList(features) {
  const words = ALL_FEATURES.filter((f) => features.includes(f)).map((f) => FEATURES[f].words);
  if (!words.length) return "nothing";
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

/** What the person may use for at least one Provider ID: every feature of their links (/links gives an
 * active link's; others have none). */
export function usableFeatures(links) {
  return new Set(links.flatMap((link) => link.features || []));
}

/** Whether the link to `providerId` among `links` gives `feature`. */
export function gives(links, providerId, feature) {
  const link = links.find((l) => l.provider_id === providerId);
  return Boolean(link) && (link.features || []).includes(feature);
}

/** Who can give a feature of the link to `providerId` (a delegate is invited again; others are given it). */
export function whoGives(link, providerId) {
  return link && link.role === "delegate"
    ? `An administrator of ${providerId} can invite you again with it.`
    : `An administrator of ${providerId} can give it to you on the Access page.`;
}
