// What every page does first: render the shared chrome (chrome.js), brand itself from /config.json and
// show development links when offered.

import { api, loadConfig } from "./api.js";
import { renderChrome, renderPortalTab, showFeatures } from "./chrome.js";
import "./tables.js"; // data tables read as stacked rows on a narrow screen

// Page modules import this one first, so the header and footer exist before any page code runs.
renderChrome();

function fill(selector, text) {
  for (const element of document.querySelectorAll(selector)) element.textContent = text;
}

/** Brand the page and return the plan configuration. `title` names the page in the tab. */
export async function initPage(title) {
  let config;
  try {
    config = await loadConfig();
  } catch {
    const main = document.getElementById("main");
    const notice = document.createElement("div");
    notice.className = "notice error";
    notice.setAttribute("role", "alert");
    notice.textContent = "The portal could not load its settings. Reload the page in a moment.";
    main.prepend(notice);
    throw new Error("no configuration");
  }
  document.title = title ? `${title} – ${config.portal_name}` : config.portal_name;
  fill("[data-brand]", config.brand);
  fill("[data-portal-name]", config.portal_name);
  fill("[data-brand-initial]", config.brand.trim().charAt(0).toUpperCase());
  for (const link of document.querySelectorAll("a[data-support-phone]")) {
    link.textContent = config.support_phone;
    link.href = `tel:${config.support_phone.replace(/[^0-9+]/g, "")}`;
  }
  for (const element of document.querySelectorAll("[data-dev]")) element.hidden = !config.outbox;
  for (const link of document.querySelectorAll("a[data-outbox]")) {
    if (config.outbox) link.href = config.outbox;
  }
  document.documentElement.dataset.plan = config.key;
  if (config.portal_tab && document.querySelector('header.site-header[data-nav="member"]')) {
    renderPortalTab(config.portal_tab, false);
    const answer = await api("/links", { keepOn401: true }); // the page's own session check says the rest
    renderPortalTab(config.portal_tab, answer.ok && answer.data.links.some((link) => link.status === "active"));
    if (answer.ok) showFeatures(answer.data.links.flatMap((link) => link.features || []));
  }
  return config;
}
