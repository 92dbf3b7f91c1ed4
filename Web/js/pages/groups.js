// Groups: list, members, create/delete, and switching policy mode with a confirmation that
// says what the switch does to which workloads.
import { api, listAll, q } from "../api.js";
import { session } from "../session.js";
import { badge, clear, confirmDialog, empty, field, h, notify, select, table } from "../dom.js";

export const title = "Groups";

const MODES = [["discover", "Discover"], ["monitor", "Monitor"], ["protect", "Protect"]];
const EFFECT = {
  discover: "traffic is allowed and learned: new rules are created from what is seen.",
  monitor: "traffic no rule allows is still allowed, but raises a violation event.",
  protect: "traffic no rule allows is blocked and raises a violation event.",
};

export async function render(main) {
  const detail = h("aside", { class: "panel", id: "group-panel", "aria-live": "polite" },
    h("p", {}, "Select a group to see its members and change its policy mode."));
  const list = h("div");
  main.append(session.canEdit ? createForm(reload) : null, h("div", { class: "split" }, list, detail));

  async function reload() {
    const groups = await listAll("/v1/groups");
    clear(list, groups.length
      ? table("Groups", ["Name", "Policy mode", "Members", "Origin", "Criteria"], groups,
        (g) => [g.name, badge(g.policy_mode), String(g.member_count), g.learned ? "learned" : "user",
          g.criteria.map((c) => `${c.key} ${c.op} ${c.value}`).join("; ") || "—"],
        { onSelect: (g) => show(g) })
      : empty("No groups yet. Enforcers create a learned group per service; you can also create one above."));
  }

  async function show(group) {
    const members = await listAll(`/v1/workloads?group=${q(group.name)}`);
    clear(detail, h("h2", {}, group.name),
      h("p", {}, "Policy mode: ", badge(group.policy_mode)),
      members.length
        ? table("Members", ["Workload", "Namespace", "Host"], members, (w) => [w.name, w.namespace, w.host_id])
        : empty("No workload matches this group now."));
    if (!session.canEdit) return;
    const mode = select("policy_mode", MODES, group.policy_mode);
    detail.append(h("form", { class: "inline", "aria-label": "Change policy mode", onsubmit: async (e) => {
      e.preventDefault();
      if (mode.value === group.policy_mode) return;
      const hosts = new Set(members.map((m) => m.host_id)).size;
      const ok = await confirmDialog(`Switch ${group.name} to ${mode.value}?`,
        h("div", {}, h("p", {}, `${members.length} workload(s) on ${hosts} host(s) change from ${group.policy_mode} to ${mode.value}:`),
          h("p", {}, EFFECT[mode.value]),
          h("p", {}, "Every enforcer concerned receives the new rule set within a second.")), `Switch to ${mode.value}`);
      if (!ok) return;
      try {
        const updated = await api("PUT", `/v1/groups/${q(group.name)}`, { name: group.name, criteria: group.criteria,
          policy_mode: mode.value, learned: group.learned, comment: group.comment ?? null });
        notify(`${group.name} is now in ${updated.policy_mode} mode.`);
        await reload();
        await show(updated);
      } catch (err) { notify(err.message, "error"); }
    } }, field("Policy mode", mode), h("button", { type: "submit", class: "primary" }, "Change mode")),
    h("button", { type: "button", class: "danger", onclick: async () => {
      if (!(await confirmDialog(`Delete ${group.name}?`, "Rules that use the group must be deleted first.", "Delete"))) return;
      try {
        await api("DELETE", `/v1/groups/${q(group.name)}`);
        notify(`${group.name} deleted.`);
        clear(detail);
        await reload();
      } catch (err) { notify(err.message, "error"); }
    } }, "Delete group"));
  }

  await reload();
}

function createForm(reload) {
  const name = h("input", { name: "name", required: true, maxlength: 128 });
  const key = select("key", [["namespace", "namespace"], ["label", "label"], ["image", "image"], ["name", "workload name"], ["address", "address"], ["service", "service"]], "namespace");
  const op = select("op", [["eq", "equals"], ["ne", "does not equal"], ["prefix", "starts with"], ["contains", "contains"]], "eq");
  const value = h("input", { name: "value", required: true, maxlength: 253 });
  const mode = select("policy_mode", MODES, "discover");
  return h("details", { class: "create" }, h("summary", {}, "Create a group"),
    h("form", { class: "filters", onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api("POST", "/v1/groups", { name: name.value, criteria: [{ key: key.value, op: op.value, value: value.value }], policy_mode: mode.value });
        notify(`Group ${name.value} created.`);
        e.target.reset();
        await reload();
      } catch (err) { notify(err.message, "error"); }
    } }, field("Name", name), field("Criterion", key), field("Match", op), field("Value", value), field("Policy mode", mode),
    h("button", { type: "submit", class: "primary" }, "Create")));
}
