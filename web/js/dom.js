// Building small pieces of page without innerHTML: text is always set as text.

/** `el("p", { className: "hint", id: "x" }, "text", otherNode)`; attributes with dashes go through setAttribute. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "className") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name in node && !name.includes("-")) node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/**
 * Show `title` and `parts` in the notice `box` (kind: success, warning, error or info) and move focus
 * to it; `heading` is the title's element (h3 for a notice inside a section).
 */
export function notice(box, kind, title, parts = [], { focus = true, heading = "h2" } = {}) {
  box.className = `notice ${kind === "info" ? "" : kind}`.trim();
  const content = [];
  if (title) content.push(el(heading, {}, title));
  for (const part of parts) content.push(typeof part === "string" ? el("p", {}, part) : part);
  box.replaceChildren(...content);
  box.hidden = false;
  if (focus) {
    if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "-1");
    box.focus();
  }
}

/** A short date, in the reader's locale. */
export function shortDate(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }).format(date);
}

/** A calendar day ("2027-06-30") in the reader's locale: that day wherever the reader is. */
export function dayText(day) {
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? ""
    : new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" }).format(date);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
