// Boots the console: restores the session, routes #/page to its module, keeps the header in
// step with who is signed in, and returns to sign-in when the session ends.
import { api, whenSessionEnds } from "./api.js";
import { session } from "./session.js";
import { clear, h, notify, clearNotice } from "./dom.js";
import * as login from "./pages/login.js";
import * as dashboard from "./pages/dashboard.js";
import * as network from "./pages/network.js";
import * as groups from "./pages/groups.js";
import * as rules from "./pages/rules.js";
import * as profiles from "./pages/profiles.js";
import * as events from "./pages/events.js";
import * as enforcers from "./pages/enforcers.js";
import * as settings from "./pages/settings.js";

const pages = { dashboard, network, groups, rules, profiles, events, enforcers, settings };
const main = document.getElementById("main");
let cleanup = null;
// Each render draws into its own view; one that finishes after a newer render began (a fast
// second click) finds its view detached and its timers are stopped at once.
let generation = 0;

function pageName() {
  const name = location.hash.replace(/^#\/?/, "").split("?")[0];
  return pages[name] ? name : "dashboard";
}

async function render() {
  const mine = ++generation;
  if (cleanup) { cleanup(); cleanup = null; }
  clearNotice();
  const signedIn = !!session.current;
  document.getElementById("topbar").hidden = !signedIn;
  if (!signedIn) {
    document.title = "Sign in · Palisade";
    cleanup = login.render(main, () => {
      // A new hash renders through hashchange; the same hash needs a render of its own.
      if (location.hash === "#/dashboard") render();
      else location.hash = "#/dashboard";
    });
    return;
  }
  const name = pageName();
  const page = pages[name];
  document.getElementById("who").textContent = `${session.current.user.name} (${session.role})`;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === `#/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${page.title} · Palisade`;
  const view = h("div", { class: "view" }, h("h1", {}, page.title));
  clear(main, view);
  let stop = null;
  try {
    stop = (await page.render(view)) || null;
  } catch (error) {
    view.append(h("p", { class: "error", role: "alert" }, error.message));
  }
  if (mine === generation) cleanup = stop;
  else if (stop) stop();
}

function endSession(message) {
  if (!session.current) return;
  session.clear();
  render().then(() => notify(message, "error"));
}

whenSessionEnds(endSession);
window.addEventListener("hashchange", render);
document.getElementById("logout").addEventListener("click", async () => {
  try { await api("POST", "/v1/auth/logout"); } catch { /* the session may already be gone */ }
  session.clear();
  // replaceState, not location.hash: a hashchange would render again and clear the notice.
  history.replaceState(null, "", location.pathname);
  render().then(() => notify("You are signed out."));
});
// Warn before the token's absolute expiry rather than failing a click later.
setInterval(() => {
  const expiresAt = session.current?.expiresAt;
  if (expiresAt && Date.parse(expiresAt) <= Date.now()) endSession("Your session expired. Sign in again.");
}, 30000);

if (!window.Chart || !window.d3) {
  notify("Charts are unavailable: the server could not find Chart.js or d3 (libjs-chart.js, libjs-d3).", "error");
}
render();
