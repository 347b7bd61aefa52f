// A Provider ID's administrator view (?provider=ID): requests to decide (approve, deny), members
// (make administrator, remove), earlier requests, the systems that use the FHIR API (fhir-clients.js),
// and stepping down. Consequential actions ask once more in place. A decision moves on in the approval
// workflow: the list follows until it has.

import { api } from "./api.js";
import { busy, clearErrors, confirmInPlace, showProblem } from "./forms.js";
import { el, notice, shortDate, sleep } from "./dom.js";
import { fhirClients } from "./fhir-clients.js";
import "./delegates.js"; // the "Billing services and other delegates" section: it starts by itself
import { FEATURES, PRESETS, featureList, pageProvider, providerChoices, statusTag } from "./links.js";
import { initPage } from "./page.js";
import { headerSignOut, requireSession } from "./session.js";

const FOLLOW_MS = 1500;
const ADMIN_HELD = new Set(["active", "pending_agreement", "pending_org_agreement"]); // an administrator's place counts
const FOLLOW_TRIES = 20;

const main = document.getElementById("main");
headerSignOut((problem) => showProblem(main, problem));
await initPage("Members and requests");
await requireSession(["full"]);

const { providerId, choices } = await pageProvider((l) => l.role === "admin" && l.status === "active");
const membersNotice = document.getElementById("members-notice");
const live = document.getElementById("members-status");
const cards = {
  requests: document.getElementById("requests-card"),
  members: document.getElementById("members-card"),
  closed: document.getElementById("closed-card"),
  stepDown: document.getElementById("stepdown-card"),
};
const lists = {
  requests: document.getElementById("request-list"),
  members: document.getElementById("member-list"),
  closed: document.getElementById("closed-list"),
};
const decided = new Map(); // account_id → true (approved) / false (denied), until the list shows it

function hideAll() {
  for (const card of Object.values(cards)) card.hidden = true;
  systems.hide();
}

function say(title, text) {
  clearErrors(main);
  notice(membersNotice, "success", title, text ? [text] : []);
  live.textContent = `${title}. ${text || ""}`;
}

function backLink() {
  return el("p", {}, el("a", { href: "/access.html" }, "Go to provider access"));
}

function memberTag(member) {
  return statusTag(member.status, { asAdmin: true });
}

/** Run a change; on success say so and reload, on a problem show it (and reload: the list was stale). */
async function change(path, init, done) {
  clearErrors(main);
  const answer = await api(path, init);
  if (!answer.ok) {
    showProblem(main, answer.data);
    await load();
    return false;
  }
  done(answer.data.message);
  return true;
}

function actionButton(text, label, variant = "secondary small") {
  const button = el("button", { type: "button", className: `button ${variant}` }, text);
  button.setAttribute("aria-label", label);
  return button;
}

function who(member) {
  return el("div", { className: "item-text" },
    el("strong", {}, member.name, member.role === "admin" ? " " : null,
      member.role === "admin" ? el("span", { className: "tag" }, "Administrator") : null),
    el("span", { className: "hint" }, member.email));
}

/** Approve or deny a request; the list marks it until the workflow has moved it on. */
async function decide(member, approve) {
  const base = `/providers/${encodeURIComponent(providerId)}/requests/${encodeURIComponent(member.account_id)}/decision`;
  const ok = await change(base, { method: "POST", body: { approve } }, (message) => {
    decided.set(member.account_id, approve);
    say(approve ? `${member.name} approved` : `${member.name} denied`,
      approve ? `${message} Next, they accept the Provider Agreement; then they have access.` : message);
  });
  if (ok) {
    await load();
    follow();
  }
}

function requestItem(member) {
  const dates = [`Asked ${shortDate(member.requested_at)}`];
  if (member.decision_due) dates.push(`decide by ${shortDate(member.decision_due)}`);
  const text = who(member);
  text.append(el("span", { className: "hint" }, dates.join("; ")));
  const item = el("li", { className: "item", "data-account": member.account_id });
  const actions = el("div", { className: "item-actions" });
  if (decided.has(member.account_id)) {
    actions.append(el("span", { className: "status pending" },
      decided.get(member.account_id) ? "Approved, updating…" : "Denied, updating…"));
  } else {
    const approve = actionButton("Approve", `Approve ${member.name}`, "small");
    const deny = actionButton("Deny", `Deny ${member.name}`);
    approve.addEventListener("click", async () => {
      const restore = busy(approve, "Approving…");
      deny.disabled = true;
      try {
        await decide(member, true);
      } finally {
        restore();
        deny.disabled = false;
      }
    });
    deny.addEventListener("click", () => confirmInPlace(item, deny,
      `Deny the request of ${member.name}? They are told by email and may ask again.`, "Yes, deny",
      () => decide(member, false)));
    actions.append(approve, deny);
  }
  item.append(el("div", { className: "item-row" }, text, actions));
  return item;
}

// ---- What a member may use: a preset for a kind of job, or the features one by one ----

/** The preset a member's features are ("custom" when none is); never set: the standard user's. */
function presetOf(features) {
  const given = [...features].sort().join();
  return Object.keys(PRESETS).find((name) => [...PRESETS[name].features].sort().join() === given) || "custom";
}

/** "Billing: eligibility and claims", as the member list says what a person may use. */
function usesText(member) {
  if (member.role === "admin") return "Administrators can use everything";
  const preset = PRESETS[presetOf(member.features)];
  return preset ? `${preset.label}: ${preset.hint.toLowerCase()}` : `Custom: ${featureList(member.features)}`;
}

function choiceRow(type, id, name, value, label, hint) {
  const input = el("input", { type, id, name, value, "aria-describedby": hint ? `${id}-hint` : undefined });
  return [input, el("div", { className: type === "radio" ? "choice" : "check-row" }, input,
    el("label", { htmlFor: id }, label), hint ? el("span", { className: "hint", id: `${id}-hint` }, hint) : null)];
}

/**
 * The form that changes what `member` may use: a preset, or the features ticked one by one (ticking one
 * that needs another ticks that too, and says so). Save sends the preset, or the features.
 */
function featuresForm(member, item, trigger) {
  const id = `features-${member.account_id}`;
  const presets = Object.entries({ ...PRESETS, custom: { label: "Custom", hint: "Tick what they may use below" } })
    .map(([name, p]) => choiceRow("radio", `${id}-${name}`, `${id}-preset`, name, p.label, p.hint));
  const boxes = Object.entries(FEATURES).map(([value, f], n) => choiceRow("checkbox", `${id}-f${n}`, "features",
    value, f.label, f.needs ? `Includes: ${FEATURES[f.needs].label.toLowerCase()}` : ""));
  const status = el("p", { className: "hint", id: `${id}-said`, role: "status" });
  const save = el("button", { type: "submit", className: "button small" }, "Save");
  const cancel = el("button", { type: "button", className: "link-button" }, "Cancel");
  const form = el("form", { className: "inline-form features-form", novalidate: true,
    "aria-labelledby": `${id}-heading` },
    el("h3", { id: `${id}-heading` }, `What ${member.name} may use`),
    el("fieldset", { className: "field" }, el("legend", { className: "label" }, "Kind of job"),
      el("div", { className: "choices" }, ...presets.map(([, row]) => row))),
    el("fieldset", { className: "field" }, el("legend", { className: "label" }, "Features"),
      el("div", { className: "choices" }, ...boxes.map(([, row]) => row)), status),
    el("div", { className: "actions" }, save, cancel));
  const ticked = () => boxes.filter(([box]) => box.checked).map(([box]) => box.value);
  const tick = (features) => { for (const [box] of boxes) box.checked = features.includes(box.value); };
  const choose = (name) => { for (const [radio] of presets) radio.checked = radio.value === name; };

  tick(member.features);
  choose(presetOf(member.features));
  for (const [radio] of presets) {
    radio.addEventListener("change", () => {
      if (radio.value !== "custom") tick(PRESETS[radio.value].features);
      status.textContent = "";
    });
  }
  for (const [box] of boxes) {
    box.addEventListener("change", () => {
      const needs = FEATURES[box.value].needs;
      const [needed] = boxes.find(([other]) => other.value === needs) || [];
      const [needing] = boxes.find(([other]) => FEATURES[other.value].needs === box.value) || [];
      status.textContent = "";
      if (box.checked && needed && !needed.checked) {
        needed.checked = true;
        status.textContent = `${FEATURES[box.value].label} needs ${FEATURES[needs].label.toLowerCase()}: ticked too.`;
      } else if (!box.checked && needing && needing.checked) {
        needing.checked = false;
        status.textContent = `${FEATURES[needing.value].label} needs ${FEATURES[box.value].label.toLowerCase()}: `
          + "unticked too.";
      }
      choose(presetOf(ticked()));
    });
  }
  cancel.addEventListener("click", () => {
    form.remove();
    trigger.focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(main);
    const preset = presets.find(([radio]) => radio.checked)[0].value;
    const restore = busy(save, "Saving…");
    let answer;
    try {
      answer = await api(`/providers/${encodeURIComponent(providerId)}/members/${encodeURIComponent(member.account_id)}`
        + "/features", { method: "PUT", body: preset === "custom" ? { features: ticked() } : { preset } });
    } finally {
      restore();
    }
    if (!answer.ok) {
      showProblem(main, answer.data);
      return;
    }
    form.remove();
    say(`Saved: ${member.name} may now use ${featureList(answer.data.features)}`,
      "We emailed them to say what changed.");
    await load();
  });
  item.append(form);
  presets.find(([radio]) => radio.checked)[0].focus();
}

function memberItem(member) {
  const item = el("li", { className: "item", "data-account": member.account_id });
  const side = el("div", { className: "item-actions" });
  if (member.status !== "active") side.append(memberTag(member));
  if (member.role !== "admin") {
    const uses = actionButton("Change what they may use", `Change what ${member.name} may use`);
    uses.addEventListener("click", () => {
      if (!item.querySelector(".features-form")) featuresForm(member, item, uses);
    });
    side.append(uses);
  }
  if (member.role !== "admin" && member.status === "active") {
    const base = `/providers/${encodeURIComponent(providerId)}`;
    const promote = actionButton("Make administrator", `Make ${member.name} an administrator`);
    const remove = actionButton("Remove", `Remove ${member.name}`);
    promote.addEventListener("click", () => confirmInPlace(item, promote,
      `Make ${member.name} an administrator? They can approve requests and remove members.`, "Yes, make administrator",
      async () => {
        if (await change(`${base}/admins`, { method: "POST", body: { account_id: member.account_id } },
          (message) => say(`${member.name} is an administrator`, message))) await load();
      }));
    remove.addEventListener("click", () => confirmInPlace(item, remove,
      `Remove ${member.name}? They lose access to this provider's records at once.`, "Yes, remove",
      async () => {
        if (await change(`${base}/members/${encodeURIComponent(member.account_id)}`, { method: "DELETE" },
          (message) => say(`${member.name} removed`, message))) await load();
      }));
    side.append(promote, remove);
  }
  const text = who(member);
  text.append(el("span", { className: "hint uses" }, usesText(member)));
  item.append(el("div", { className: "item-row" }, text, side));
  return item;
}

function closedItem(member) {
  return el("li", { className: "item" }, el("div", { className: "item-row" }, who(member),
    el("div", { className: "item-actions" }, memberTag(member))));
}

function fill(list, items, empty) {
  list.replaceChildren(...(items.length ? items : [el("li", { className: "empty" }, empty)]));
}

let shown = ""; // what the lists show, so that a look that found no change leaves them (and focus) alone

/** Put questions still open (Deny…? Remove…?) back on the re-rendered items, focus included. */
function keepOpenQuestions(render) {
  const rows = document.querySelectorAll("[data-account] > .confirm-row, [data-account] > .features-form");
  const open = [...rows].map((row) => ({
    row, account: row.parentElement.dataset.account, list: row.closest("ul").id,
    focused: row.contains(document.activeElement) ? document.activeElement : null,
  }));
  render();
  for (const { row, account, list, focused } of open) {
    const item = document.querySelector(`#${list} > [data-account="${CSS.escape(account)}"]`);
    if (!item || !item.querySelector(".item-actions button")) continue; // decided meanwhile
    item.append(row);
    if (focused) focused.focus();
  }
}

function render(data) {
  // A decision shows in the list once the workflow has moved on; until then it stays marked here.
  for (const [accountId] of decided) {
    const now = data.members.find((m) => m.account_id === accountId);
    if (!now || now.status !== "pending_admin") decided.delete(accountId);
  }
  const json = JSON.stringify([data, [...decided]]);
  if (json === shown) return;
  shown = json;
  keepOpenQuestions(() => renderLists(data));
}

function renderLists(data) {
  document.getElementById("members-lead").textContent =
    `${data.provider_name} (Provider ID ${data.provider_id}): as an administrator you decide who gets access to its records.`;
  document.title = document.title.replace(/^[^–]*/, `Members of ${data.provider_name} `);
  const byStatus = (...statuses) => data.members.filter((m) => statuses.includes(m.status));
  fill(lists.requests, byStatus("pending_admin").map(requestItem), "No requests are waiting.");
  fill(lists.members, byStatus("active", "pending_agreement", "pending_org_agreement").map(memberItem), "No members yet.");
  const closed = byStatus("denied", "expired");
  fill(lists.closed, closed.map(closedItem), "");
  cards.requests.hidden = false;
  cards.members.hidden = false;
  cards.closed.hidden = !closed.length;
  cards.stepDown.hidden = false;
  // The API refuses to let the only administrator step down: the page says so instead of offering it.
  const admins = data.members.filter((m) => m.role === "admin" && ADMIN_HELD.has(m.status));
  const only = admins.length < 2;
  document.getElementById("stepdown-hint").hidden = only;
  document.getElementById("stepdown-only").hidden = !only;
  document.getElementById("stepdown-actions").hidden = only;
}

/** Load and show the lists; false when this account may not manage the Provider ID (shown). */
async function load() {
  const answer = await api(`/providers/${encodeURIComponent(providerId)}/members`);
  if (!answer.ok) {
    hideAll();
    notice(membersNotice, "error", answer.data.title, [answer.data.detail || "", backLink()].filter(Boolean));
    return false;
  }
  render(answer.data);
  return true;
}

let following = false;

/** After a decision, look again until the workflow has moved the request on. */
async function follow() {
  if (following) return;
  following = true;
  for (let i = 0; i < FOLLOW_TRIES && decided.size; i += 1) {
    await sleep(FOLLOW_MS);
    if (!(await load())) break;
  }
  following = false;
}

const systems = fhirClients({ providerId, live, confirmInPlace });

const stepDown = document.getElementById("step-down");
stepDown.addEventListener("click", () => confirmInPlace(cards.stepDown, stepDown,
  "Step down as administrator of this Provider ID? You stay a member.", "Yes, step down", async () => {
    clearErrors(main);
    const answer = await api(`/providers/${encodeURIComponent(providerId)}/admins/me`, { method: "DELETE" });
    cards.stepDown.querySelector(".confirm-row")?.remove();
    if (!answer.ok) {
      showProblem(main, answer.data);
      return;
    }
    hideAll();
    notice(membersNotice, "success", "You are no longer an administrator", [answer.data.message, backLink()]);
  }));

const refresh = document.getElementById("refresh");
refresh.addEventListener("click", async () => {
  const restore = busy(refresh, "Refreshing…");
  try {
    clearErrors(main);
    await load();
  } finally {
    restore();
  }
});

if (!providerId) {
  notice(membersNotice, choices.length ? "info" : "error", "Which Provider ID?", choices.length
    ? ["You are an administrator of several Provider IDs. Choose one:", providerChoices("/members.html", choices)]
    : ["You are not an administrator of a Provider ID with access yet.", backLink()]);
} else if (await load()) {
  await systems.load();
}
