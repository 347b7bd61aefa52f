// Talking to the portal API: one fetch wrapper that always answers {ok, status, data}.
// Errors arrive as RFC 9457 problem+json; anything else that fails is turned into the same shape.

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

function fallbackProblem(status, detail) {
  return { type: "about:blank", title: status ? "Something went wrong" : "No connection", status, detail };
}

export function isProblem(data) {
  return Boolean(data) && typeof data === "object" && typeof data.title === "string";
}

/**
 * Call the API: `api("/registrations", { method: "POST", body: {...} })`.
 * Resolves to {ok, status, data, headers}; when !ok, `data` is a problem object with title and detail.
 */
export async function api(path, { method = "GET", body, signal } = {}) {
  const config = await loadConfig();
  const init = {
    method,
    signal,
    credentials: "same-origin",
    headers: { Accept: "application/json, application/problem+json" },
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
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
  return { ok: response.ok, status: response.status, data, headers: response.headers };
}

/** A same-site path from an API answer, or null: never follow other schemes or hosts. */
export function sitePath(value) {
  return typeof value === "string" && /^\/(?!\/)[^\s\\]*$/.test(value) ? value : null;
}
