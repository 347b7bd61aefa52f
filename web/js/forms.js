// Showing a problem+json answer on a form: each `errors[]` item next to its field, the `detail` on top.

import { sitePath } from "./api.js";
import { el } from "./dom.js";

const SUMMARY_ID = "error-summary";

function fieldBox(form, name) {
  return form.querySelector(`[data-field="${CSS.escape(name)}"]`);
}

function focusTarget(box) {
  if (!box) return null;
  return box.querySelector("[data-focus]") || box.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
}

function describedBy(input, id, add) {
  const ids = new Set((input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
  if (add) ids.add(id);
  else ids.delete(id);
  if (ids.size) input.setAttribute("aria-describedby", [...ids].join(" "));
  else input.removeAttribute("aria-describedby");
}

/** Remove every error shown on `form` and hide its summary. */
export function clearErrors(form) {
  for (const box of form.querySelectorAll("[data-field].has-error")) box.classList.remove("has-error");
  for (const message of form.querySelectorAll(".field-error")) {
    message.replaceChildren();
    message.hidden = true;
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    describedBy(input, `${input.id}-error`, false);
  }
  const summary = document.getElementById(SUMMARY_ID);
  if (summary) {
    summary.hidden = true;
    summary.replaceChildren();
  }
}

function groupErrors(errors) {
  const byField = new Map();
  for (const error of Array.isArray(errors) ? errors : []) {
    const field = String(error.field || "body");
    if (!byField.has(field)) byField.set(field, []);
    byField.get(field).push(String(error.message || "This value is not valid."));
  }
  return byField;
}

/** The fields with errors in the order the form shows them (fields not on the form last): one list to read. */
function inFormOrder(form, byField) {
  const entries = [...byField];
  const position = new Map(entries.map(([name]) => [name, fieldBox(form, name)]));
  return entries.sort(([a], [b]) => {
    const boxA = position.get(a);
    const boxB = position.get(b);
    if (!boxA || !boxB) return (boxA ? 0 : 1) - (boxB ? 0 : 1);
    if (boxA === boxB) return 0;
    return boxA.compareDocumentPosition(boxB) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
  });
}

function labelOf(form, name) {
  const box = fieldBox(form, name);
  const label = box && box.querySelector("label, .label");
  return label ? label.textContent.trim() : name;
}

/**
 * Show `problem` on `form`. Field errors go next to their inputs (matched by the JSON field name in
 * `data-field`); the summary lists them with links, under the problem's title and detail.
 * `extra` nodes (such as a link to the next step) are added to the summary.
 * Returns the names of the fields that got an error.
 */
export function showProblem(form, problem, extra = []) {
  clearErrors(form);
  const byField = new Map(inFormOrder(form, groupErrors(problem.errors)));
  const summary = document.getElementById(SUMMARY_ID);
  const items = [];
  for (const [name, messages] of byField) {
    const box = fieldBox(form, name);
    const input = focusTarget(box);
    if (box && !box.hidden) {
      box.classList.add("has-error");
      const slot = box.querySelector(".field-error");
      if (slot) {
        const prefix = document.createElement("span");
        prefix.className = "visually-hidden";
        prefix.textContent = "Error: ";
        if (messages.length === 1) {
          slot.replaceChildren(prefix, document.createTextNode(messages[0]));
        } else {
          const list = document.createElement("ul");
          for (const text of messages) {
            const li = document.createElement("li");
            li.textContent = text;
            list.append(li);
          }
          slot.replaceChildren(prefix, list);
        }
        slot.hidden = false;
        if (input) {
          input.setAttribute("aria-invalid", "true");
          if (slot.id) describedBy(input, slot.id, true);
        }
      }
    }
    for (const text of messages) items.push({ name, text, target: box && !box.hidden ? input : null });
  }
  if (summary) {
    const heading = document.createElement("h2");
    heading.textContent = problem.title || "There is a problem";
    const parts = [heading];
    if (problem.detail) {
      const detail = document.createElement("p");
      detail.className = "problem-detail";
      detail.textContent = problem.detail;
      parts.push(detail);
    }
    if (items.length) {
      const list = document.createElement("ul");
      for (const item of items) {
        const li = document.createElement("li");
        const text = `${labelOf(form, item.name)}: ${item.text}`;
        if (item.target && item.target.id) {
          const link = document.createElement("a");
          link.href = `#${item.target.id}`;
          link.textContent = text;
          link.addEventListener("click", (event) => {
            event.preventDefault();
            item.target.focus();
          });
          li.append(link);
        } else {
          li.textContent = text;
        }
        list.append(li);
      }
      parts.push(list);
    }
    parts.push(...extra);
    summary.replaceChildren(...parts);
    summary.hidden = false;
    summary.focus();
  }
  return [...byField.keys()];
}


/**
 * Show `problem` inside a form of its own on a page with other forms (a section of the Members page):
 * field errors next to their fields, the first focused, and not in the page's summary; a problem of no
 * field in the form's own `notice` box (focused when `focusNotice`).
 */
export function showProblemInForm(form, notice, problem, { focusNotice = false } = {}) {
  const fields = showProblem(form, problem);
  const summary = document.getElementById(SUMMARY_ID);
  summary.hidden = true; // shown here, in the form, not at the top of the page
  summary.replaceChildren();
  const invalid = form.querySelector("[aria-invalid=true]");
  if (fields.length && invalid) {
    notice.hidden = true;
    invalid.focus();
    return;
  }
  const title = document.createElement("strong");
  title.textContent = problem.title || "Something went wrong";
  const lines = [document.createElement("p")];
  lines[0].append(title);
  if (problem.detail) {
    lines.push(document.createElement("p"));
    lines[1].textContent = problem.detail;
  }
  notice.replaceChildren(...lines);
  notice.hidden = false;
  if (focusNotice) notice.focus();
}
/**
 * The API's answer to a form the page sent without the fields it found wrong itself (a time without its
 * date, files it cannot send): those fields are required, or sent so that the API refuses them, so the API
 * answers 422 naming every other field at once. `pageErrors` ({field, message, replaces?}) take the place
 * of what the API said about the same fields and their parts ("attachments" covers "attachments.0.content";
 * `replaces`: the API's name for a field the page splits, such as "admitted_at" for its date and time).
 * Any other answer (no session, no access) is left as it is.
 */
export function withPageErrors(answer, pageErrors) {
  if (!pageErrors.length || answer.ok || answer.status !== 422) return answer;
  const covered = pageErrors.flatMap((e) => [e.field, ...(e.replaces ? [e.replaces] : [])]);
  const isCovered = (field) => covered.some((name) => field === name || field.startsWith(`${name}.`));
  const rest = (answer.data.errors || []).filter((e) => !isCovered(String(e.field || "body")));
  const errors = [...pageErrors.map(({ field, message, code }) => ({ field, message, code })), ...rest];
  return { ...answer, data: { ...answer.data, errors } };
}

/**
 * Links for the next steps a problem names (`resend`, `retry`: same-site paths), as paragraphs for
 * `showProblem`'s `extra`. `labels` maps each member to its link text.
 */
export function problemLinks(problem, labels) {
  const parts = [];
  for (const [member, text] of Object.entries(labels)) {
    const href = sitePath(problem[member]);
    if (!href) continue;
    const p = document.createElement("p");
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    p.append(a);
    parts.push(p);
  }
  return parts;
}

/**
 * The values of the enabled, named inputs of `form`: trimmed (passwords as typed), empty ones left
 * out so the server answers "This field is required." for them; of radio buttons, the checked one.
 */
export function formValues(form) {
  const values = {};
  for (const input of form.querySelectorAll(":is(input, select, textarea)[name]:not([disabled])")) {
    if (input.type === "checkbox" || (input.type === "radio" && !input.checked)) continue;
    const value = input.type === "password" ? input.value : input.value.trim();
    if (value !== "") values[input.name] = value;
  }
  return values;
}

/** Disable `button` while work runs, with a progress label; returns a function that restores it. */
export function busy(button, label) {
  const original = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = label;
  return () => {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = original;
  };
}

/** Run `work` (an API call, say) with `button` busy as `busy` makes it; answers what `work` answers. */
export async function whileBusy(button, label, work) {
  const restore = busy(button, label);
  try {
    return await work();
  } finally {
    restore();
  }
}

/**
 * Ask once more, in place: `question` with a "yes" button that runs `action` and a Cancel that
 * puts focus back on `trigger` (both disabled while `action` runs, the yes button saying `busyLabel`).
 * Only one question per item at a time.
 */
export function confirmInPlace(item, trigger, question, yesText, action, busyLabel = "Working…") {
  const open = item.querySelector(".confirm-row");
  if (open) open.remove();
  const yes = el("button", { type: "button", className: "button small" }, yesText);
  const cancel = el("button", { type: "button", className: "link-button" }, "Cancel");
  const row = el("div", { className: "confirm-row", role: "group", "aria-label": question },
    el("p", {}, question), yes, cancel);
  cancel.addEventListener("click", () => {
    row.remove();
    trigger.focus();
  });
  yes.addEventListener("click", async () => {
    const restore = busy(yes, busyLabel);
    cancel.disabled = true;
    try {
      await action();
    } finally {
      restore();
      cancel.disabled = false;
    }
  });
  item.append(row);
  yes.focus();
}
