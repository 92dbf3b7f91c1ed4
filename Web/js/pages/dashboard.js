// Dashboard: risk score, events by severity over time, top offenders, enforcer health and
// policy mode coverage, all from GET /v1/dashboard.
import { api } from "../api.js";
import { empty, h, table } from "../dom.js";

export const title = "Dashboard";

const SEVERITIES = ["critical", "high", "medium", "low", "info"];
const COLOURS = { critical: "#8b0000", high: "#d9480f", medium: "#f08c00", low: "#1971c2", info: "#868e96",
  connected: "#2b8a3e", disconnected: "#f08c00", revoked: "#8b0000",
  discover: "#1971c2", monitor: "#f08c00", protect: "#2b8a3e" };

export async function render(main) {
  const data = await api("GET", "/v1/dashboard");
  const charts = [];
  const risk = data.risk;
  const level = risk.score >= 70 ? "high" : risk.score >= 40 ? "medium" : "low";
  main.append(h("section", { class: "cards" },
    h("div", { class: `card risk r-${level}`, id: "risk" },
      h("h2", {}, "Security risk"),
      h("p", { class: "score", "aria-label": `Risk score ${risk.score} of 100` }, String(risk.score)),
      h("p", {}, `Exposure ${pts(risk.exposure, 40)} · violations ${pts(risk.violations, 30)} · ` +
        `threats ${pts(risk.threats, 20)} · enforcer health ${pts(risk.enforcer_health, 10)}`),
      h("a", { href: "#/groups" }, "Lower it: move groups to protect")),
    card("Events by severity", "severity-chart", "Events in each severity, per time bucket"),
    card("Enforcer health", "enforcer-chart", "Enforcers by state"),
    card("Policy mode coverage", "mode-chart", "Workloads by the policy mode of their group")));

  const offenders = (items, what) => items.length
    ? table(`Top violating ${what}`, [what === "groups" ? "Group" : "Workload", "Violations"], items,
      (o) => [o.name, String(o.violations)])
    : empty(`No violations by ${what} in this window.`);
  main.append(h("section", { class: "cards" },
    h("div", { class: "card wide" }, offenders(data.top_groups, "groups")),
    h("div", { class: "card wide" }, offenders(data.top_workloads, "workloads"))));

  if (!window.Chart) return null;
  const labels = data.buckets.map((b) => new Date(b.start).toISOString().slice(11, 16));
  const canvas = (id) => main.querySelector(`#${id}`);
  charts.push(new Chart(canvas("severity-chart"), {
    type: "bar",
    data: { labels, datasets: SEVERITIES.map((s) => ({ label: s, backgroundColor: COLOURS[s],
      data: data.buckets.map((b) => b.by_severity[s] || 0) })) },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  }));
  charts.push(doughnut(canvas("enforcer-chart"), data.enforcers));
  charts.push(doughnut(canvas("mode-chart"), data.policy_modes));
  return () => charts.forEach((c) => c.destroy());
}

function card(heading, id, label) {
  return h("div", { class: "card" }, h("h2", {}, heading),
    h("div", { class: "chart" }, h("canvas", { id, role: "img", "aria-label": label })));
}

function doughnut(canvas, counts) {
  const labels = Object.keys(counts);
  return new Chart(canvas, {
    type: "doughnut",
    data: { labels, datasets: [{ data: labels.map((k) => counts[k]), backgroundColor: labels.map((k) => COLOURS[k] || "#adb5bd") }] },
    options: { animation: false, responsive: true, maintainAspectRatio: false },
  });
}

/** A part of the risk score against its ceiling (docs/API.md, "Risk score"). */
function pts(x, of) { return `${Math.round(x)}/${of}`; }
