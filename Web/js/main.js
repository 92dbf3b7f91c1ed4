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

function pageName() {
  const name = location.hash.replace(/^#\/?/, "").split("?")[0];
  return pages[name] ? name : "dashboard";
}

async function render() {
  if (cleanup) { cleanup(); cleanup = null; }
  clearNotice();
  const signedIn = !!session.current;
  document.getElementById("topbar").hidden = !signedIn;
  document.body.classList.toggle("reader", !session.canEdit);
  if (!signedIn) {
    document.title = "Sign in · Palisade";
    cleanup = login.render(main, () => { location.hash = "#/dashboard"; render(); });
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
  clear(main, h("h1", {}, page.title));
  try {
    cleanup = (await page.render(main)) || null;
  } catch (error) {
    main.append(h("p", { class: "error", role: "alert" }, error.message));
  }
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
  location.hash = "";
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
