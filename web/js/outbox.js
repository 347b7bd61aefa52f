// Development outbox: lists what the embedded AWS "sent". Message text is shown as text, never as HTML;
// only links back to this portal (127.0.0.1 / localhost) are made clickable.

import { initPage } from "./page.js";

await initPage("Outbox");
const mailList = document.getElementById("mail-list");
const smsList = document.getElementById("sms-list");
const pushList = document.getElementById("push-list");
const status = document.getElementById("outbox-status");
const URL_PATTERN = /https?:\/\/[^\s<>"')\]]+/g;
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
let shown = "";
let captions = 0;

function localUrl(href) {
  try {
    const url = new URL(href);
    const local = url.origin === window.location.origin || LOCAL_HOSTS.has(url.hostname);
    return (url.protocol === "http:" || url.protocol === "https:") && local ? url : null;
  } catch {
    return null;
  }
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Text with its local URLs turned into links; everything else stays text. */
function linkedText(text) {
  const body = element("p", "message-body");
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const href = match[0].replace(/[.,;:!?]+$/, "");
    body.append(document.createTextNode(text.slice(last, match.index)));
    if (localUrl(href)) {
      const a = element("a", "", href);
      a.href = href;
      body.append(a);
    } else {
      body.append(document.createTextNode(href));
    }
    last = match.index + href.length;
  }
  body.append(document.createTextNode(text.slice(last)));
  return body;
}

function linkList(links, textUrls) {
  const list = element("ul", "message-links");
  for (const item of links || []) {
    if (textUrls.has(item.href) && item.label === item.href) continue; // already linked in the text
    const li = element("li");
    if (localUrl(item.href)) {
      const a = element("a", "button small", item.label);
      a.href = item.href;
      li.append(a);
    } else {
      li.append(element("span", "external-link", `${item.label}: ${item.href}`));
    }
    list.append(li);
  }
  return list.children.length ? list : null;
}

function message(title, meta, text, links) {
  const article = element("article", "message");
  const head = element("header", "message-head");
  head.append(element("h3", "", title), element("p", "message-meta", meta));
  article.append(head, linkedText(text || ""));
  const urls = new Set([...(text || "").matchAll(URL_PATTERN)].map((m) => m[0].replace(/[.,;:!?]+$/, "")));
  const list = linkList(links, urls);
  if (list) {
    const caption = element("p", "links-caption", "Links in this message");
    caption.id = `links-${++captions}`;
    list.setAttribute("aria-labelledby", caption.id);
    article.append(caption, list);
  }
  return article;
}

function render(data) {
  document.getElementById("mail-count").textContent = String(data.mail.length);
  document.getElementById("sms-count").textContent = String(data.sms.length);
  if (data.mail.length) {
    mailList.replaceChildren(...data.mail.map((m) =>
      message(m.subject || "(no subject)", `To ${m.to.join(", ")} · from ${m.from}`, m.text, m.links)));
  } else {
    const empty = element("p", "empty", "No email yet. ");
    const a = element("a", "", "Create an account");
    a.href = "/register.html";
    empty.append(a, document.createTextNode(" and its email appears here."));
    mailList.replaceChildren(empty);
  }
  smsList.replaceChildren(...(data.sms.length
    ? data.sms.map((s) => message(`To ${s.to}`, "Text message", s.text, s.links))
    : [element("p", "empty", "No text messages yet.")]));
  const pushes = data.pushes || [];
  document.getElementById("push-count").textContent = String(pushes.length);
  pushList.replaceChildren(...(pushes.length
    ? pushes.map((p) => message(`To device ${p.token}`, p.endpoint, pushText(p.message), []))
    : [element("p", "empty", "No push notifications yet.")]));
}

/** A push message as readable JSON (SNS wraps per-platform payloads in JSON strings). */
function pushText(raw) {
  try {
    let payload = JSON.parse(raw);
    if (payload && typeof payload.default === "string") payload = JSON.parse(payload.default);
    return JSON.stringify(payload, null, 2);
  } catch {
    return String(raw);
  }
}

async function refresh(announce = false) {
  try {
    const response = await fetch("/dev/outbox.json", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    const key = JSON.stringify([data.mail, data.sms, data.pushes || []].map((list) => list.map((m) => m.id)));
    if (key !== shown) {
      shown = key;
      render(data);
    }
    if (announce) {
      status.textContent = `${data.mail.length} emails, ${data.sms.length} text messages, ` +
        `${(data.pushes || []).length} push notifications.`;
    }
  } catch {
    status.textContent = "The outbox could not be loaded. Is the devserver running?";
  }
}

document.getElementById("outbox-refresh").addEventListener("click", () => refresh(true));
await refresh();
setInterval(() => { if (!document.hidden) refresh(); }, 3000);
