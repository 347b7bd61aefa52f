// The chrome every page shares, rendered from here only: the icon, the skip link, the header (brand
// and account navigation) and the footer. A page holds two placeholders,
//   <header class="site-header" data-nav="public|member|mfa|none" [data-wide]></header>
//   <footer class="site-footer" [data-wide]></footer>
// and imports page.js, which renders them before any page code runs; initPage() then brands them.
// Plain static files: no server-side include, no build step.

import { csrfToken } from "./api.js";
import { el } from "./dom.js";

const SIGN_OUT = { button: "header-signout", text: "Sign out" };
/** The four portal pages a granted Provider ID opens, each with the feature it needs (hidden without it). */
const PORTAL_PAGES = [{ href: "/eligibility.html", text: "Eligibility", feature: "eligibility" },
  { href: "/claims.html", text: "Claims", feature: "claims" },
  { href: "/authorizations.html", text: "Authorizations", feature: "authorizations.view" },
  { href: "/admissions.html", text: "Admissions", feature: "admissions.view" }];
const ACCESS_PAGE = "/access.html";
const START_PAGE = { href: "/start.html", text: "Start" }; // what needs the person now
const FEATURES_KEY = "portal.features"; // what the person may use, as the last page that read their links said
/** The account navigation of each kind of page. */
const NAV = {
  public: [{ href: "/signin.html", text: "Sign in" }], // signed out
  member: [START_PAGE, ...PORTAL_PAGES, { href: ACCESS_PAGE, text: "Provider access" },
    { href: "/account.html", text: "Your account" }, SIGN_OUT], // signed in
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
  if (item.feature) link.dataset.feature = item.feature;
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
  if (items.length) {
    const nav = el("nav", { className: "header-nav", id: "site-nav", "aria-label": "Account" }, ...items.map(navItem));
    if (items.length > 2) inner.append(menuButton(header, nav));
    inner.append(nav);
  }
  header.replaceChildren(inner);
  header.before(el("a", { className: "skip-link", href: "#main" }, "Skip to main content"));
}

/**
 * On a narrow screen (see portal.css) the navigation folds behind a "Menu" button: it opens and closes
 * it (aria-expanded), Escape closes it and puts focus back on the button. On a wide screen the button
 * is not shown and the navigation always is.
 */
function menuButton(header, nav) {
  const button = el("button", { type: "button", className: "menu-button", "aria-expanded": "false",
    "aria-controls": nav.id }, el("span", { className: "menu-icon", "aria-hidden": "true" }), "Menu");
  const show = (open) => {
    button.setAttribute("aria-expanded", String(open));
    header.classList.toggle("nav-open", open);
  };
  button.addEventListener("click", () => show(!header.classList.contains("nav-open")));
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && header.classList.contains("nav-open") && getComputedStyle(button).display !== "none") {
      show(false);
      button.focus();
    }
  });
  return button;
}

function renderFooter(footer) {
  footer.replaceChildren(container(footer.hasAttribute("data-wide"), "",
    el("p", {}, "Questions? Call ", el("span", { "data-brand": true }, "provider"), " provider services at ",
      el("a", { "data-support-phone": true, href: "/" }, "the number on your provider agreement"), "."),
    el("p", {}, el("a", { href: "/prior-authorization-metrics.html" }, "Prior authorization metrics"),
      " published each year"),
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
  const remembered = rememberedFeatures();
  if (remembered) hideUnusable(new Set(remembered), root);
}

/**
 * Once the person's links are known: hide the portal pages of the navigation that they may use for no
 * Provider ID (`features`: what their active links give, together). Remembered for the other pages of
 * this session in this tab; a new sign-in (a new CSRF token) forgets it.
 */
export function showFeatures(features, root = document) {
  const usable = new Set(features);
  try {
    sessionStorage.setItem(FEATURES_KEY, JSON.stringify({ session: csrfToken(), features: [...usable] }));
  } catch {
    // storage disabled: only this page hides them
  }
  hideUnusable(usable, root);
}

function rememberedFeatures() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(FEATURES_KEY) || "null");
    return saved && saved.session === csrfToken() ? saved.features : null;
  } catch {
    return null;
  }
}

function hideUnusable(usable, root) {
  for (const item of root.querySelectorAll("header.site-header [data-feature]")) {
    (item.closest("li") || item).hidden = !usable.has(item.dataset.feature);
  }
}

/**
 * Plans whose guide promises a portal tab (config.portal_tab; cmo: "CMO" next to "HOME") show, on
 * signed-in pages, "HOME" (the access status) and, once access is granted (`granted`: an active
 * link), the tab: a menu of the four portal pages. Other plans keep their navigation. The existing
 * "Your account" link and "Sign out" button stay the same elements (their listeners live on).
 */
export function renderPortalTab(tabName, granted, root = document) {
  if (!tabName) return;
  for (const nav of root.querySelectorAll('header.site-header[data-nav="member"] nav.header-nav')) {
    const portalHrefs = new Set([...PORTAL_PAGES.map((p) => p.href), ACCESS_PAGE, START_PAGE.href]);
    for (const link of nav.querySelectorAll(":scope > a:not([data-home])")) {
      if (portalHrefs.has(link.getAttribute("href"))) link.remove();
    }
    let home = nav.querySelector(":scope > [data-home]");
    if (!home) {
      home = navItem({ href: ACCESS_PAGE, text: "HOME" });
      home.dataset.home = "";
      nav.prepend(home);
    }
    const tab = nav.querySelector(":scope > .portal-tab");
    if (granted && !tab) home.after(portalTab(tabName));
    if (!granted && tab) tab.remove();
  }
}

function portalTab(tabName) {
  const here = PORTAL_PAGES.some((p) => p.href === window.location.pathname);
  const menu = el("ul", { className: "portal-tab-menu", id: "portal-tab-menu", hidden: true },
    ...PORTAL_PAGES.map((p) => el("li", {}, navItem(p))));
  const button = el("button", { type: "button", className: `header-tab${here ? " current" : ""}`,
    "aria-expanded": "false", "aria-controls": "portal-tab-menu" }, tabName);
  const box = el("div", { className: "portal-tab" }, button, menu);
  const show = (open) => {
    button.setAttribute("aria-expanded", String(open));
    menu.hidden = !open;
  };
  button.addEventListener("click", () => show(menu.hidden));
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !menu.hidden) {
      event.stopPropagation(); // the menu closes, the folded navigation around it stays open
      show(false);
      button.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (!box.contains(event.target)) show(false);
  });
  return box;
}
