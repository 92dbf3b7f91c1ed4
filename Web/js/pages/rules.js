// Rules: the ordered network rules (first match wins), with filters, reordering by buttons,
// create/edit/delete and promoting learned rules to user rules.
import { api, listAll, q } from "../api.js";
import { session } from "../session.js";
import { badge, clear, confirmDialog, empty, field, formatTime, h, hashParams, notify, select } from "../dom.js";

export const title = "Rules";

export async function render(main) {
  const params = hashParams();
  const group = h("input", { name: "group", maxlength: 128, value: params.get("group") || "", placeholder: "any" });
  const action = select("action", [["", "any"], ["allow", "allow"], ["deny", "deny"]], "");
  const origin = select("learned", [["", "any"], ["true", "learned"], ["false", "user"]], "");
  const filters = h("form", { class: "filters", "aria-label": "Rule filters" },
    field("Group", group), field("Action", action), field("Origin", origin), h("button", { type: "submit" }, "Filter"));
  const list = h("div", { id: "rules" });
  // Every rule's groups with their policy mode: a rule only blocks traffic into protect mode.
  const modes = new Map();
  const groups = [];
  async function loadGroups() {
    modes.clear();
    groups.length = 0;
    for (const g of await listAll("/v1/groups")) { modes.set(g.name, g.policy_mode); groups.push(g.name); }
  }
  await loadGroups();
  const withMode = (name) => h("span", { class: "group-ref" }, name, " ", modes.has(name) ? badge(modes.get(name)) : null);
  main.append(session.canEdit ? editor(null, groups, reload) : null, filters, list);

  async function reload() {
    const query = new URLSearchParams();
    if (group.value.trim()) query.set("group", group.value.trim());
    if (action.value) query.set("action", action.value);
    if (origin.value) query.set("learned", origin.value);
    const [rules] = await Promise.all([listAll(`/v1/rules?${query}`), loadGroups()]);
    if (!rules.length) {
      clear(list, empty(query.toString() ? "No rule matches these filters." :
        "No rules yet. In discover mode, rules are learned from traffic; you can also create one above."));
      return;
    }
    const head = ["#", "ID", "From", "To", "Ports", "Applications", "Action", "Origin", "Enabled", "Hits", "Last hit"];
    if (session.canEdit) head.push("Actions");
    const rows = rules.map((r, i) => {
      const cells = [String(i + 1), String(r.id), withMode(r.from), withMode(r.to), r.ports.join(", "), r.applications.join(", ") || "any",
        badge(r.action), r.learned ? "learned" : "user", r.enabled ? "yes" : "no", String(r.hits), formatTime(r.last_hit_at)];
      if (session.canEdit) cells.push(actions(r, rules[i - 1], rules[i + 1]));
      return h("tr", { dataset: { rule: r.id } }, cells.map((c) => h("td", {}, c)));
    });
    clear(list, h("table", { class: "data" }, h("caption", {}, "Rules in evaluation order"),
      h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)));
  }

  function actions(rule, previous, next) {
    const act = (label, text, run) => h("button", { type: "button", "aria-label": `${label} rule ${rule.id}`, onclick: async () => {
      try { await run(); await reload(); } catch (e) { notify(e.message, "error"); }
    } }, text);
    return h("span", { class: "row-actions" },
      previous ? act("Move up", "↑", () => api("POST", `/v1/rules/${rule.id}/move`, { before: previous.id })) : null,
      next ? act("Move down", "↓", () => api("POST", `/v1/rules/${rule.id}/move`, { after: next.id })) : null,
      rule.learned ? act("Promote", "Promote", async () => {
        await api("POST", `/v1/rules/${rule.id}/promote`);
        notify(`Rule ${rule.id} is now a user rule.`);
      }) : null,
      h("button", { type: "button", "aria-label": `Edit rule ${rule.id}`, onclick: () => {
        const row = list.querySelector(`tr[data-rule="${rule.id}"]`);
        const cell = h("td", { colspan: 12 }, editor(rule, groups, reload));
        row.after(h("tr", { class: "editing" }, cell));
      } }, "Edit"),
      act("Delete", "Delete", async () => {
        if (!(await confirmDialog(`Delete rule ${rule.id}?`, `${rule.from} → ${rule.to} ${rule.action} ${rule.ports.join(", ")}`, "Delete"))) return;
        await api("DELETE", `/v1/rules/${rule.id}`);
        notify(`Rule ${rule.id} deleted.`);
      }));
  }

  filters.addEventListener("submit", (e) => { e.preventDefault(); reload().catch((err) => notify(err.message, "error")); });
  await reload();
}

/** The create form (rule null) or the edit form of one rule. */
function editor(rule, groups, reload) {
  const options = groups.map((g) => [g, g]);
  const from = select("from", options, rule?.from);
  const to = select("to", options, rule?.to);
  const ports = h("input", { name: "ports", value: rule ? rule.ports.join(", ") : "any", maxlength: 512 });
  const apps = h("input", { name: "applications", value: rule ? rule.applications.join(", ") : "", maxlength: 512, placeholder: "any" });
  const action = select("action", [["allow", "allow"], ["deny", "deny"]], rule?.action || "allow");
  const enabled = h("input", { type: "checkbox", name: "enabled", checked: rule ? rule.enabled : true });
  const split = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
  const form = h("form", { class: "filters", onsubmit: async (e) => {
    e.preventDefault();
    const body = { from: from.value, to: to.value, ports: split(ports.value), applications: split(apps.value),
      action: action.value, enabled: enabled.checked };
    try {
      if (rule) {
        await api("PUT", `/v1/rules/${rule.id}`, { ...body, learned: rule.learned, comment: rule.comment ?? null });
        notify(`Rule ${rule.id} saved.`);
      } else {
        const created = await api("POST", "/v1/rules", body);
        notify(`Rule ${created.id} created.`);
      }
      await reload();
    } catch (err) { notify(err.message, "error"); }
  } }, field("From group", from), field("To group", to), field("Ports", ports, "e.g. tcp/80, udp/53, any"),
  field("Applications", apps), field("Action", action), field("Enabled", enabled),
  h("button", { type: "submit", class: "primary" }, rule ? "Save" : "Create rule"));
  if (rule) return form;
  if (!groups.length) return h("p", { class: "empty" }, "Create groups first: a rule connects two groups.");
  return h("details", { class: "create" }, h("summary", {}, "Create a rule"), form);
}
