// Settings: your own password (everyone), users and API keys (admins). Integrations such as
// webhooks and syslog appear here once the server has them.
import { api, listAll, q } from "../api.js";
import { session } from "../session.js";
import { badge, clear, confirmDialog, empty, field, formatTime, h, notify, select, table } from "../dom.js";

export const title = "Settings";

const ROLES = [["reader", "reader: looks only"], ["operator", "operator: policy and enforcers"], ["admin", "admin: everything"]];

export async function render(main) {
  main.append(passwordSection());
  if (!session.isAdmin) {
    main.append(h("p", { class: "empty" }, "Users and API keys are managed by an admin."));
    return null;
  }
  const users = h("section", { id: "users", "aria-labelledby": "users-title" });
  const keys = h("section", { id: "api-keys", "aria-labelledby": "keys-title" });
  main.append(users, keys);
  await Promise.all([renderUsers(users), renderKeys(keys)]);
  return null;
}

function passwordSection() {
  const current = h("input", { type: "password", name: "current_password", autocomplete: "current-password", required: true });
  const next = h("input", { type: "password", name: "new_password", autocomplete: "new-password", required: true, minlength: 12 });
  return h("section", { "aria-labelledby": "password-title" }, h("h2", { id: "password-title" }, "Your password"),
    h("form", { class: "filters", "aria-label": "Change your password", onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api("POST", "/v1/auth/password", { current_password: current.value, new_password: next.value });
        e.target.reset();
        notify("Your password is changed.");
      } catch (err) { notify(err.message, "error"); }
    } }, field("Current password", current), field("New password", next, "At least 12 characters"),
    h("button", { type: "submit", class: "primary" }, "Change password")));
}

async function renderUsers(section) {
  const items = await listAll("/v1/users");
  const me = session.current.user.name;
  const name = h("input", { name: "name", required: true, maxlength: 64, autocomplete: "off" });
  const password = h("input", { name: "password", type: "password", required: true, minlength: 12, autocomplete: "new-password" });
  const role = select("role", ROLES, "reader");
  const reload = () => renderUsers(section).catch((e) => notify(e.message, "error"));
  const change = async (user, body, message) => {
    try { await api("PATCH", `/v1/users/${q(user.name)}`, body); notify(message); reload(); } catch (e) { notify(e.message, "error"); }
  };
  clear(section, h("h2", { id: "users-title" }, "Users"),
    table("Users", ["Name", "Role", "State", "Created", "Actions"], items, (u) => [u.name, badge(u.role),
      u.disabled ? badge("disabled") : "active", formatTime(u.created_at),
      u.name === me ? "you" : h("span", { class: "row-actions" },
        h("label", { class: "inline-label" }, "Role ", (() => {
          const s = select("role", ROLES.map(([v]) => [v, v]), u.role);
          s.setAttribute("aria-label", `Role of ${u.name}`);
          s.addEventListener("change", () => change(u, { role: s.value }, `${u.name} is now ${s.value}.`));
          return s;
        })()),
        h("button", { type: "button", "aria-label": `${u.disabled ? "Enable" : "Disable"} ${u.name}`,
          onclick: () => change(u, { disabled: !u.disabled }, `${u.name} is ${u.disabled ? "enabled" : "disabled"}.`) },
        u.disabled ? "Enable" : "Disable"),
        h("button", { type: "button", class: "danger", "aria-label": `Delete ${u.name}`, onclick: async () => {
          if (!(await confirmDialog(`Delete ${u.name}?`, "Their sessions end at once.", "Delete"))) return;
          try { await api("DELETE", `/v1/users/${q(u.name)}`); notify(`${u.name} deleted.`); reload(); } catch (e) { notify(e.message, "error"); }
        } }, "Delete"))]),
    h("details", { class: "create" }, h("summary", {}, "Add a user"),
      h("form", { class: "filters", "aria-label": "Add a user", onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api("POST", "/v1/users", { name: name.value, role: role.value, password: password.value });
          notify(`${name.value} can now sign in as ${role.value}.`);
          reload();
        } catch (err) { notify(err.message, "error"); }
      } }, field("Name", name), field("Role", role), field("Password", password, "At least 12 characters"),
      h("button", { type: "submit", class: "primary" }, "Add user"))));
}

async function renderKeys(section, justCreated = null) {
  const items = (await listAll("/v1/api-keys")).filter((k) => !k.revoked_at);
  const name = h("input", { name: "name", required: true, maxlength: 128, autocomplete: "off" });
  const role = select("role", ROLES, "reader");
  const days = h("input", { name: "expires_days", type: "number", min: 1, max: 3650, placeholder: "never" });
  const reload = (created) => renderKeys(section, created).catch((e) => notify(e.message, "error"));
  clear(section, h("h2", { id: "keys-title" }, "API keys"),
    h("p", {}, "For SOAR tools and scripts: send the secret as Authorization: Bearer. The OpenAPI document is at ",
      h("a", { href: "/v1/openapi.json" }, "/v1/openapi.json"), "."),
    justCreated ? h("div", { class: "secret", id: "key-secret" },
      h("p", {}, `Secret of ${justCreated.name}, shown only now. Store it in your tool's vault:`),
      h("pre", { class: "command" }, justCreated.secret)) : null,
    items.length
      ? table("API keys", ["Name", "Role", "Created by", "Expires", "Last used", ""], items, (k) => [k.name, badge(k.role),
        k.created_by || "—", k.expires_at ? formatTime(k.expires_at) : "never", formatTime(k.last_used_at),
        h("button", { type: "button", class: "danger", "aria-label": `Revoke API key ${k.name}`, onclick: async () => {
          if (!(await confirmDialog(`Revoke ${k.name}?`, "Tools using this key are refused from now on.", "Revoke"))) return;
          try { await api("DELETE", `/v1/api-keys/${q(k.id)}`); notify(`${k.name} revoked.`); reload(); } catch (e) { notify(e.message, "error"); }
        } }, "Revoke")])
      : empty("No API keys. Create one for each tool that automates Palisade."),
    h("details", { class: "create" }, h("summary", {}, "Create an API key"),
      h("form", { class: "filters", "aria-label": "Create an API key", onsubmit: async (e) => {
        e.preventDefault();
        const body = { name: name.value, role: role.value };
        if (days.value) body.expires_at = new Date(Date.now() + Number(days.value) * 86400000).toISOString().replace(/\.\d+Z$/, "Z");
        try { reload(await api("POST", "/v1/api-keys", body)); } catch (err) { notify(err.message, "error"); }
      } }, field("Name", name), field("Role", role), field("Expires after (days)", days),
      h("button", { type: "submit", class: "primary" }, "Create key"))));
}
