// Network activity: the live topology from GET /v1/topology as a d3 force graph (edges
// coloured by their last action), the same edges as a keyboard-friendly table, and an edge
// panel with "create rule from this".
import { api } from "../api.js";
import { session } from "../session.js";
import { badge, clear, empty, formatBytes, formatTime, h, notify, select, table, field } from "../dom.js";

export const title = "Network activity";

export async function render(main) {
  const view = select("view", [["workloads", "Workloads"], ["groups", "Groups"]], "workloads");
  const namespace = h("input", { name: "namespace", maxlength: 256, placeholder: "any" });
  const controls = h("form", { class: "filters", "aria-label": "Topology filters" },
    field("Show nodes as", view), field("Namespace", namespace),
    h("button", { type: "submit" }, "Apply"));
  const graph = h("div", { class: "graph", id: "topology" });
  const panel = h("aside", { class: "panel", id: "edge-panel", "aria-live": "polite" },
    h("p", {}, "Select a connection in the graph or the table to see its details."));
  const list = h("div");
  main.append(controls, h("div", { class: "split" }, graph, panel), list);

  let force = null;
  let last = "";
  async function load(force_ = false) {
    const params = new URLSearchParams({ view: view.value });
    if (namespace.value.trim()) params.set("namespace", namespace.value.trim());
    const data = await api("GET", `/v1/topology?${params}`);
    const text = JSON.stringify(data);
    if (text === last && !force_) return;
    last = text;
    draw(data);
  }

  function draw(data) {
    if (force) force.stop();
    clear(graph);
    clear(list);
    if (!data.nodes.length) {
      graph.append(empty("No traffic seen yet. Once enforcers report connections, workloads and their conversations appear here."));
      return;
    }
    const nodes = data.nodes.map((n) => ({ ...n }));
    const index = new Map(nodes.map((n, i) => [n.id, i]));
    const links = data.edges.filter((e) => index.has(e.from) && index.has(e.to))
      .map((e) => ({ ...e, source: index.get(e.from), target: index.get(e.to) }));
    const width = graph.clientWidth || 800, height = 480;
    const svg = d3.select(graph).append("svg")
      .attr("viewBox", `0 0 ${width} ${height}`).attr("role", "img")
      .attr("aria-label", `${nodes.length} nodes and ${links.length} connections`);
    const edge = svg.append("g").selectAll("line").data(links).enter().append("line")
      .attr("class", (d) => `edge a-${d.last_action || "unknown"}`)
      .on("click", (d) => show(d));
    edge.append("title").text((d) => `${d.from} → ${d.to}: ${d.ports.join(", ")}`);
    const node = svg.append("g").selectAll("g").data(nodes).enter().append("g")
      .attr("class", (d) => `node m-${d.policy_mode || "none"} k-${d.kind}`);
    node.append("circle").attr("r", (d) => (d.kind === "group" ? 12 : 8));
    node.append("text").attr("dx", 12).attr("dy", 4).text((d) => d.name);
    node.append("title").text((d) => `${d.name}${d.group ? ` (group ${d.group})` : ""}${d.policy_mode ? `, ${d.policy_mode}` : ""}`);
    force = d3.layout.force().nodes(nodes).links(links).size([width, height])
      .charge(-260).linkDistance(90).gravity(0.08)
      .on("tick", () => {
        edge.attr("x1", (d) => d.source.x).attr("y1", (d) => d.source.y)
          .attr("x2", (d) => d.target.x).attr("y2", (d) => d.target.y);
        node.attr("transform", (d) => `translate(${d.x},${d.y})`);
      }).start();
    node.call(force.drag);
    list.append(table("Connections", ["From", "To", "Ports", "Last action", "Bytes", "Last seen"], links,
      (e) => [name(e.source), name(e.target), e.ports.join(", "), badge(e.last_action || "unknown"), formatBytes(e.bytes), formatTime(e.last_seen_at)],
      { onSelect: (e) => show(e) }));
  }

  function name(node) { return node.name || node.id; }

  function show(edge) {
    const from = edge.source, to = edge.target;
    clear(panel,
      h("h2", {}, `${name(from)} → ${name(to)}`),
      h("dl", {},
        h("dt", {}, "Ports"), h("dd", {}, edge.ports.join(", ") || "none"),
        h("dt", {}, "Applications"), h("dd", {}, edge.applications.join(", ") || "none"),
        h("dt", {}, "Bytes"), h("dd", {}, formatBytes(edge.bytes)),
        h("dt", {}, "Sessions"), h("dd", {}, String(edge.sessions)),
        h("dt", {}, "Last action"), h("dd", {}, badge(edge.last_action || "unknown")),
        h("dt", {}, "Last seen"), h("dd", {}, formatTime(edge.last_seen_at))));
    const fromGroup = from.kind === "group" ? from.name : from.group;
    const toGroup = to.kind === "group" ? to.name : to.group;
    if (!session.canEdit) return;
    if (!fromGroup || !toGroup) {
      panel.append(h("p", {}, "A rule needs a group on both ends; this connection involves an address outside any group."));
      return;
    }
    panel.append(h("button", { type: "button", class: "primary", onclick: async () => {
      try {
        const rule = await api("POST", "/v1/rules", { from: fromGroup, to: toGroup, ports: edge.ports.length ? edge.ports : ["any"],
          applications: edge.applications, action: "allow" });
        notify(`Rule ${rule.id} created: ${fromGroup} → ${toGroup} allow ${rule.ports.join(", ")}.`);
      } catch (e) { notify(e.message, "error"); }
    } }, "Create rule from this"));
  }

  controls.addEventListener("submit", (e) => { e.preventDefault(); load(true).catch((err) => notify(err.message, "error")); });
  await load(true);
  const timer = setInterval(() => load().catch(() => {}), 15000);
  return () => { clearInterval(timer); if (force) force.stop(); };
}
