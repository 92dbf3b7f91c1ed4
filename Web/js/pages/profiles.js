// Process profiles: the processes each group's workloads may run (learned in discover mode,
// or added here), from GET/PUT /v1/groups/{name}/process-profile.
import { api, listAll, q } from "../api.js";
import { session } from "../session.js";
import { badge, clear, empty, field, h, notify, select, table } from "../dom.js";

export const title = "Process profiles";

export async function render(main) {
  const groups = (await listAll("/v1/groups")).map((g) => g.name);
  if (!groups.length) {
    main.append(empty("No groups yet: process profiles belong to groups, which appear once enforcers report workloads."));
    return;
  }
  const chooser = select("group", groups.map((g) => [g, g]), groups[0]);
  const body = h("div", { id: "profile" });
  main.append(h("form", { class: "filters", "aria-label": "Choose a group" }, field("Group", chooser)), body);
  chooser.addEventListener("change", () => load().catch((e) => notify(e.message, "error")));

  async function load() {
    const name = chooser.value;
    const profile = await api("GET", `/v1/groups/${q(name)}/process-profile`);
    const items = profile.items;
    const save = async (next, message) => {
      try {
        const clean = (entry) => Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== null && v !== undefined));
        await api("PUT", `/v1/groups/${q(name)}/process-profile`, { items: next.map(clean) });
        notify(message);
        await load();
      } catch (e) { notify(e.message, "error"); }
    };
    clear(body, items.length
      ? table(`Allowed processes of ${name}`, ["Name", "Path", "User", "Action", "Origin", ""], items,
        (p) => [p.name, p.path || "any", p.user || "any", badge(p.action || "allow"), p.learned ? "learned" : "user",
          session.canEdit ? h("button", { type: "button", "aria-label": `Remove ${p.name}`,
            onclick: () => save(items.filter((x) => x !== p), `${p.name} removed from ${name}.`) }, "Remove") : ""])
      : empty(`No processes recorded for ${name}. In discover mode they are learned as workloads run them.`));
    if (!session.canEdit) return;
    const process = h("input", { name: "name", required: true, maxlength: 64 });
    const path = h("input", { name: "path", maxlength: 1024, placeholder: "any" });
    const user = h("input", { name: "user", maxlength: 64, placeholder: "any" });
    body.append(h("form", { class: "filters", "aria-label": "Add a process", onsubmit: (e) => {
      e.preventDefault();
      const entry = { name: process.value, action: "allow", learned: false };
      if (path.value) entry.path = path.value;
      if (user.value) entry.user = user.value;
      save([...items, entry], `${process.value} allowed in ${name}.`);
    } }, field("Process name", process), field("Path", path), field("User", user),
    h("button", { type: "submit", class: "primary" }, "Allow process")));
  }
  await load();
}
