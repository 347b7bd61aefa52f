// Files on prior-authorization requests: the file field of the request form and of the information
// answer (checked here as the API checks them: type, size, count), and the request's list of files,
// each downloaded through the API with the same access check as the request itself.

import { loadConfig } from "./api.js";
import { el } from "./dom.js";

export const TYPES = { "application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG", "image/tiff": "TIFF" };
const EXTENSIONS = { pdf: "application/pdf", png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg",
  tif: "image/tiff", tiff: "image/tiff" };
export const MAX_FILE_BYTES = 3_000_000;
export const MAX_REQUEST_BYTES = 4_000_000;
export const MAX_FILES = 5;
const ACCEPT = [...Object.keys(TYPES), ...Object.keys(EXTENSIONS).map((ext) => `.${ext}`)].join(",");

/** The type a file is sent as: what the browser says, or what its extension says. */
function typeOf(file) {
  if (TYPES[file.type]) return file.type;
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return EXTENSIONS[ext] || file.type || "application/octet-stream";
}

function megabytes(bytes) {
  return `${(bytes / 1_000_000).toLocaleString("en-US", { maximumFractionDigits: 1 })} MB`;
}

/** The file field (`id`); its label and hint say what may be attached. */
export function fileField(id, labelText) {
  const input = el("input", { type: "file", id, multiple: true, accept: ACCEPT, "aria-describedby": `${id}-hint` });
  const box = el("div", { className: "field", "data-field": "attachments" },
    el("label", { htmlFor: id }, labelText),
    el("span", { className: "hint", id: `${id}-hint` },
      `PDF, PNG, JPEG or TIFF; up to ${MAX_FILES} files, ${megabytes(MAX_FILE_BYTES)} each and `
      + `${megabytes(MAX_REQUEST_BYTES)} in all.`),
    el("p", { className: "field-error", id: `${id}-error`, hidden: true }),
    input);
  return { box, input };
}

/** What is wrong with the chosen files, as field errors ([] when nothing). */
export function checkFiles(input) {
  const files = [...input.files];
  const errors = [];
  const say = (message, code) => errors.push({ field: "attachments", code, message });
  if (files.length > MAX_FILES) say(`Attach at most ${MAX_FILES} files.`, "too_many");
  for (const file of files) {
    if (!TYPES[typeOf(file)]) say(`${file.name}: attach PDF, PNG, JPEG or TIFF files only.`, "type_not_allowed");
    else if (file.size === 0) say(`${file.name} is empty.`, "empty");
    else if (file.size > MAX_FILE_BYTES) say(`${file.name} is larger than ${megabytes(MAX_FILE_BYTES)}.`, "too_large");
  }
  if (files.reduce((sum, file) => sum + file.size, 0) > MAX_REQUEST_BYTES) {
    say(`The files together are larger than ${megabytes(MAX_REQUEST_BYTES)}.`, "too_large");
  }
  return errors;
}

function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** The chosen files as the API takes them: [{name, content_type, content (base64)}]. */
export async function readFiles(input) {
  return Promise.all([...input.files].map(async (file) => ({
    name: file.name, content_type: typeOf(file), content: await base64Of(file) })));
}

/**
 * The chosen files as the API takes them. When `errors` (checkFiles) refuse some, every file goes without
 * its content, which the API refuses: nothing is made, and its answer names the form's other errors in
 * the same round (forms.js withPageErrors puts these words in place of its own about the files).
 */
export async function filesToSend(input, errors) {
  if (errors.length) return [...input.files].map((file) => ({ name: file.name, content_type: typeOf(file) }));
  return readFiles(input);
}

/** The API's errors about files ("attachments.0.content", ...) → the file field. */
export function onFileField(errors) {
  return (errors || []).map((error) => (/^attachments(\.|$)/.test(String(error.field || ""))
    ? { ...error, field: "attachments" } : error));
}

// What the plan's malware scan says of a file: its label, and whether the file can be downloaded.
const SCAN = {
  pending_scan: ["Pending scan", "Being checked for malware; it can be downloaded once found clean."],
  clean: ["Clean", "Checked for malware: none found."],
  quarantined: ["Quarantined", "Malware was found: the file was removed. Send a clean copy if the plan needs it."],
  not_scanned: ["Not scanned", "The malware scan could not check it (a password-protected file?). Send it again."],
};

/**
 * The files of a request with each one's scan state; a clean file is a button that downloads it (the API
 * answers in the file's own type when asked for it); `onProblem(problem)` shows a refused download.
 */
export function attachmentList(authorization, actingFor, onProblem) {
  if (!authorization.attachments || !authorization.attachments.length) {
    return el("p", { className: "empty", id: "attachments" }, "No files attached.");
  }
  return el("ul", { className: "file-list", id: "attachments" }, ...authorization.attachments.map((file) => {
    const scan = file.scan || "pending_scan";
    const [label, hint] = SCAN[scan] || [scan, ""];
    let name = el("span", { className: "file-name" }, file.name);
    if (scan === "clean") {
      name = el("button", { type: "button", className: "link-button" }, file.name);
      name.addEventListener("click", () => download(authorization.authorization_id, file, actingFor(), onProblem));
    }
    return el("li", { "data-scan": scan }, name, el("span", { className: "file-meta" },
      ` ${TYPES[file.content_type] || file.content_type}, ${megabytes(file.size)} `),
    el("span", { className: `file-scan scan-${scan}`, title: hint }, label),
    scan === "clean" ? null : el("span", { className: "hint" }, ` ${hint}`));
  }));
}

async function download(authorizationId, file, actingFor, onProblem) {
  const config = await loadConfig();
  const path = `/authorizations/${encodeURIComponent(authorizationId)}/attachments/${file.number}`
    + `?acting_for=${encodeURIComponent(actingFor)}`;
  let response;
  try {
    response = await fetch(`${config.api}${path}`, { headers: { Accept: file.content_type }, credentials: "same-origin" });
  } catch {
    onProblem({ title: "No connection", detail: "The file could not be downloaded. Try again." });
    return;
  }
  if (!response.ok) {
    let problem = { title: "The file could not be downloaded", detail: "" };
    try {
      problem = await response.json();
    } catch { /* not problem+json: keep the plain words */ }
    onProblem(problem);
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: file.name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
