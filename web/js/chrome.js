// The chrome every page shares, rendered from here only: the icon, the skip link, the header (brand
// and account navigation) and the footer. A page holds two placeholders,
//   <header class="site-header" data-nav="public|member|mfa|none" [data-wide]></header>
//   <footer class="site-footer" [data-wide]></footer>
// and imports page.js, which renders them before any page code runs; initPage() then brands them.
// Plain static files: no server-side include, no build step.

import { el } from "./dom.js";

const SIGN_OUT = { button: "header-signout", text: "Sign out" };
/** The account navigation of each kind of page. */
const NAV = {
  public: [{ href: "/signin.html", text: "Sign in" }], // signed out
  member: [{ href: "/eligibility.html", text: "Eligibility" }, { href: "/claims.html", text: "Claims" },
    { href: "/authorizations.html", text: "Authorizations" }, { href: "/admissions.html", text: "Admissions" },
    { href: "/access.html", text: "Provider access" }, { href: "/account.html", text: "Your account" }, SIGN_OUT], // signed in
  mfa: [SIGN_OUT], // signed in, second step not done yet
  none: [],
};

function container(wide, className, ...children) {
  return el("div", { className: `container${wide ? " wide" : ""}${className ? ` ${className}` : ""}` }, ...children);
}

function navItem(item) {
  if (item.button) return el("button", { type: "button", className: "header-button", id: item.button }, item.text);
  const link = el("a", { href: item.href }, item.text);
  if (item.href === window.location.pathname) link.setAttribute("aria-current", "page");
  return link;
}

function renderHeader(header) {
  const wide = header.hasAttribute("data-wide");
  const items = NAV[header.dataset.nav || "none"] || [];
  const brand = el("a", { className: "brand", href: "/" },
    el("span", { className: "brand-mark", "aria-hidden": "true", "data-brand-initial": true }, "P"),
    el("span", {}, el("span", { className: "brand-name", "data-brand": true }, "Provider"),
      el("span", { className: "portal-name", "data-portal-name": true }, "Provider Portal")));
  const inner = container(wide, "header-inner", brand);
  if (items.length) inner.append(el("nav", { className: "header-nav", "aria-label": "Account" }, ...items.map(navItem)));
  header.replaceChildren(inner);
  header.before(el("a", { className: "skip-link", href: "#main" }, "Skip to main content"));
}

function renderFooter(footer) {
  footer.replaceChildren(container(footer.hasAttribute("data-wide"), "",
    el("p", {}, "Questions? Call ", el("span", { "data-brand": true }, "provider"), " provider services at ",
      el("a", { "data-support-phone": true, href: "/" }, "the number on your provider agreement"), "."),
    el("p", { "data-dev": true, hidden: true }, el("span", { className: "dev-note" }, "Development"),
      el("a", { "data-outbox": true, href: "/outbox.html" }, "Outbox: mail and text messages sent"))));
}

/** Fill the page's header and footer placeholders and add the icon; safe to call more than once. */
export function renderChrome(root = document) {
  if (!root.querySelector('link[rel="icon"]')) {
    document.head.append(el("link", { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" }));
  }
  for (const header of root.querySelectorAll("header.site-header:empty")) renderHeader(header);
  for (const footer of root.querySelectorAll("footer.site-footer:empty")) renderFooter(footer);
}
