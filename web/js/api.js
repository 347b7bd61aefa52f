// Talking to the portal API: one fetch wrapper that always answers {ok, status, data}.
// Errors arrive as RFC 9457 problem+json; anything else that fails is turned into the same shape.
//
// Sessions: the session cookie is HttpOnly; what the page holds is the session's CSRF token, kept in
// sessionStorage (this tab only) and sent as X-CSRF-Token on every state-changing request. Any answer
// that carries `csrf_token` replaces it (signing in and finishing MFA issue a new one). A 401 always
// means "no live session" and sends the person to the sign-in page; a wrong password or code is a 403
// with its own problem type, shown on the form.

const CSRF_KEY = "portal.csrf_token";
const CSRF_HEADER = "X-CSRF-Token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
// Problem types that mean the session is gone (the handlers' and the gateway's words for it).
const SESSION_ENDED = new Set(["/problems/unauthenticated", "/problems/unauthorized"]);
// The gateway's refusal of a live session for its CSRF token (missing, or from an older session of
// another tab): the current token is fetched and the request sent once more.
const CSRF_REFUSED = new Set(["/problems/forbidden/csrf-missing", "/problems/forbidden/csrf-invalid"]);
export const SIGNIN_PAGE = "/signin.html";

let configPromise = null;

/** The public plan configuration (/config.json), fetched once per page. */
export function loadConfig() {
  if (!configPromise) {
    configPromise = fetch("/config.json", { headers: { Accept: "application/json" } }).then((response) => {
      if (!response.ok) throw new Error(`config.json answered ${response.status}`);
      return response.json();
    });
  }
  return configPromise;
}

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the token is fetched again when needed
  }
}

let memoryToken = null;

export function csrfToken() {
  const store = storage();
  return (store && store.getItem(CSRF_KEY)) || memoryToken;
}

function keepCsrfToken(token) {
  memoryToken = token;
  const store = storage();
  if (store) store.setItem(CSRF_KEY, token);
}

/** Forget the CSRF token (after signing out). */
export function forgetSession() {
  memoryToken = null;
  const store = storage();
  if (store) store.removeItem(CSRF_KEY);
}

function fallbackProblem(status, detail) {
  return { type: "about:blank", title: status ? "Something went wrong" : "No connection", status, detail };
}

export function isProblem(data) {
  return Boolean(data) && typeof data === "object" && typeof data.title === "string";
}

function onSigninPage() {
  return window.location.pathname === SIGNIN_PAGE;
}

/** Leave for the sign-in page; the returned promise never settles, so the caller does nothing more. */
export function goToSignin(query = "") {
  forgetSession();
  window.location.assign(SIGNIN_PAGE + query);
  return new Promise(() => {});
}

async function send(config, path, method, body, signal, headers = {}) {
  const init = {
    method,
    signal,
    credentials: "same-origin",
    headers: { ...headers, Accept: "application/json, application/problem+json" },
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json"; // also for DELETE with a body
    init.body = JSON.stringify(body);
  }
  const token = csrfToken();
  if (token && !SAFE_METHODS.has(method)) init.headers[CSRF_HEADER] = token;
  let response;
  try {
    response = await fetch(`${config.api}${path}`, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    return {
      ok: false,
      status: 0,
      data: fallbackProblem(0, "The portal could not be reached. Check your connection and try again."),
      headers: new Headers(),
    };
  }
  const type = response.headers.get("Content-Type") || "";
  let data = null;
  if (/json/i.test(type)) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok && !isProblem(data)) {
    data = fallbackProblem(response.status, `The portal answered with status ${response.status}. Try again in a moment.`);
  }
  if (data && typeof data === "object" && typeof data.csrf_token === "string" && data.csrf_token) {
    keepCsrfToken(data.csrf_token);
  }
  return { ok: response.ok, status: response.status, data, headers: response.headers };
}

/**
 * Call the API: `api("/registrations", { method: "POST", body: {...} })`.
 * Resolves to {ok, status, data, headers}; when !ok, `data` is a problem object with title and detail.
 * Set `keepOn401` to get a "session ended" 401 back instead of leaving for the sign-in page;
 * `headers` adds request headers (such as an Idempotency-Key).
 */
export async function api(path, { method = "GET", body, signal, keepOn401 = false, headers = {} } = {}) {
  const config = await loadConfig();
  let result = await send(config, path, method, body, signal, headers);
  if (result.status === 403 && CSRF_REFUSED.has(result.data.type) && !SAFE_METHODS.has(method)) {
    // Perhaps another tab signed in again and the token changed: fetch the current one, retry once.
    const current = await send(config, "/sessions/current", "GET", undefined, signal);
    if (current.ok) result = await send(config, path, method, body, signal, headers);
  }
  if (result.status === 401 && SESSION_ENDED.has(result.data.type)) {
    const hadSession = Boolean(csrfToken());
    forgetSession();
    if (!keepOn401 && !onSigninPage()) return goToSignin(hadSession ? "?session=ended" : "");
  }
  return result;
}

/**
 * The current session ({stage, next, csrf_token, factors, offered_factors}); stores its CSRF token.
 * Without a session this leaves for the sign-in page.
 */
export async function currentSession() {
  const answer = await api("/sessions/current");
  return answer.ok ? answer.data : null;
}

/** A same-site path from an API answer, or null: never follow other schemes or hosts. */
export function sitePath(value) {
  return typeof value === "string" && /^\/(?!\/)[^\s\\]*$/.test(value) ? value : null;
}

/** Go to the page the API named (`next`), or to `fallback` when it named none. */
export function goTo(next, fallback = "/account.html") {
  window.location.assign(sitePath(next) || fallback);
  return new Promise(() => {});
}
