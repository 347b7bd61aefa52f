// What every signed-in page shares: the session it runs in, and the header's "Sign out".

import { api, goTo, goToSignin, sitePath } from "./api.js";

const ACCOUNT_PAGE = "/account.html";
const START_PAGE = "/start.html";

/**
 * The current session, once the page may show: a session at another stage than `stages` is sent on
 * to the page it needs (`next`); no session at all goes to sign-in.
 */
export async function requireSession(stages) {
  const answer = await api("/sessions/current"); // also stores the session's CSRF token
  if (!answer.ok) { // (a 401 has already left for the sign-in page)
    const main = document.getElementById("main");
    const box = document.createElement("div");
    box.className = "notice error";
    box.setAttribute("role", "alert");
    box.textContent = `${answer.data.title}. ${answer.data.detail || ""} Reload the page in a moment.`;
    main.prepend(box);
    throw new Error("no session");
  }
  const session = answer.data;
  if (!stages.includes(session.stage)) return goTo(session.next);
  return session;
}

/**
 * Where a finished sign-in lands: the start page (what needs the person) for anyone with access to a
 * Provider ID; else `next` as the API named it (the account page, where linking one begins).
 */
export async function landing(next) {
  if ((sitePath(next) || ACCOUNT_PAGE) !== ACCOUNT_PAGE) return next;
  const answer = await api("/links");
  return answer.ok && answer.data.links.some((link) => link.status === "active") ? START_PAGE : next;
}

/** Sign out here (`everywhere`: every session of the account), then show the sign-in page. */
export async function signOut(everywhere = false) {
  const answer = await api(everywhere ? "/sessions" : "/sessions/current", { method: "DELETE", keepOn401: true });
  if (!answer.ok && answer.status !== 401) return answer; // the session lives on: say why
  return goToSignin(everywhere ? "?signed-out=everywhere" : "?signed-out");
}

/** Wire the header's Sign out button; `onProblem(problem)` shows a failure. */
export function headerSignOut(onProblem) {
  const button = document.getElementById("header-signout");
  if (!button) return;
  button.addEventListener("click", async () => {
    button.disabled = true;
    const answer = await signOut(false);
    button.disabled = false;
    if (answer && !answer.ok) onProblem(answer.data);
  });
}
