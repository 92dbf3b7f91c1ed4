// Events: a filterable table with cursor paging ("Load older"), new events arriving live over
// GET /v1/events/stream, and a detail panel.
import { api, q } from "../api.js";
import { followEvents } from "../live.js";
import { badge, clear, empty, field, formatTime, h, hashParams, notify, select } from "../dom.js";

export const title = "Events";

const KINDS = ["network_violation", "process", "file", "threat", "connection", "system"];
const SEVERITIES = ["info", "low", "medium", "high", "critical"];

export async function render(main) {
  const params = hashParams();
  const kind = select("kind", [["", "any"], ...KINDS.map((k) => [k, k.replace("_", " ")])], params.get("kind") || "");
  const severity = select("min_severity", [["", "any"], ...SEVERITIES.map((s) => [s, `${s} or worse`])], "");
  const text = h("input", { name: "text", maxlength: 256, placeholder: "search summaries" });
  const group = h("input", { name: "group", maxlength: 128, placeholder: "any", value: params.get("group") || "" });
  const filters = h("form", { class: "filters", "aria-label": "Event filters" },
    field("Kind", kind), field("Severity", severity), field("Group", group), field("Text", text),
    h("button", { type: "submit" }, "Filter"));
  const state = h("span", { class: "live-state", id: "live-state" }, "connecting…");
  const rows = h("tbody", { id: "event-rows" });
  const more = h("button", { type: "button", hidden: true }, "Load older events");
  const panel = h("aside", { class: "panel", id: "event-panel", "aria-live": "polite" }, h("p", {}, "Select an event to see its details."));
  const tableElement = h("table", { class: "data" }, h("caption", {}, "Events, newest first ", state),
    h("thead", {}, h("tr", {}, ["Time", "Severity", "Kind", "Group", "Workload", "Action", "Summary"].map((t) => h("th", { scope: "col" }, t)))),
    rows);
  const none = empty("No events match. Violations, process and threat reports from enforcers appear here as they happen.");
  main.append(filters, h("div", { class: "split" }, h("div", {}, tableElement, none, more), panel));

  let cursor = null;
  let stop = null;
  const seen = new Set();

  function row(event, prepend) {
    if (seen.has(event.id)) return;
    seen.add(event.id);
    const tr = h("tr", { class: `selectable sev-${event.severity}`, tabindex: 0, dataset: { id: event.id } },
      [formatTime(event.occurred_at), badge(event.severity), event.kind.replace("_", " "), event.group || "—",
        event.workload_id || "—", event.action ? badge(event.action) : "—", event.summary].map((c) => h("td", {}, c)));
    const open = () => clear(panel, h("h2", {}, event.summary),
      h("dl", {}, ...Object.entries({ Time: formatTime(event.occurred_at), Severity: event.severity, Kind: event.kind,
        Group: event.group, Workload: event.workload_id, Host: event.host_id, Peer: event.peer, Action: event.action,
        Enforcer: event.enforcer_id }).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v || "—")])),
      h("h3", {}, "Detail"), h("pre", {}, JSON.stringify(event.detail, null, 2)));
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
    if (prepend) { rows.prepend(tr); tr.classList.add("new"); } else rows.append(tr);
    none.hidden = true;
  }

  function query() {
    const p = new URLSearchParams({ limit: "50" });
    if (kind.value) p.set("kind", kind.value);
    if (severity.value) p.set("min_severity", severity.value);
    if (group.value.trim()) p.set("group", group.value.trim());
    if (text.value.trim()) p.set("text", text.value.trim());
    return p;
  }

  async function page() {
    const p = query();
    if (cursor) p.set("cursor", cursor);
    const data = await api("GET", `/v1/events?${p}`);
    data.items.forEach((e) => row(e, false));
    cursor = data.next_cursor;
    more.hidden = !cursor;
    none.hidden = rows.children.length > 0;
  }

  function live() {
    if (stop) stop();
    const p = new URLSearchParams();
    if (kind.value) p.set("kind", kind.value);
    if (severity.value) p.set("min_severity", severity.value);
    const groupFilter = group.value.trim(), textFilter = text.value.trim().toLowerCase();
    stop = followEvents(p.toString() ? `?${p}` : "", (event) => {
      if (groupFilter && event.group !== groupFilter) return;
      if (textFilter && !event.summary.toLowerCase().includes(textFilter)) return;
      row(event, true);
    }, (s) => { state.textContent = s === "live" ? "● live" : s; state.className = `live-state s-${s}`; });
  }

  async function restart() {
    // The old stream stops first: its events must not land in the new filter's table.
    if (stop) { stop(); stop = null; }
    clear(rows);
    seen.clear();
    cursor = null;
    await page();
    live();
  }

  filters.addEventListener("submit", (e) => { e.preventDefault(); restart().catch((err) => notify(err.message, "error")); });
  more.addEventListener("click", () => page().catch((err) => notify(err.message, "error")));
  await restart();
  return () => { if (stop) stop(); };
}
