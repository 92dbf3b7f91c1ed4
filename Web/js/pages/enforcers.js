// Enforcers: who is connected, who is behind on policy (revision lag), revoking an enforcer,
// and join tokens with the command line to paste on a new node.
import { api, listAll, q } from "../api.js";
import { session } from "../session.js";
import { badge, clear, confirmDialog, empty, field, formatTime, h, notify, table } from "../dom.js";

export const title = "Enforcers";

/** The enforcer channel listens on its own port (18400 unless the server was told otherwise). */
const ENFORCER_PORT = 18400;

export async function render(main) {
  const list = h("div", { id: "enforcers" });
  const tokens = h("section", { id: "join-tokens", "aria-labelledby": "tokens-title" });
  main.append(list, session.canEdit ? tokens : null);

  async function reload() {
    const enforcers = await listAll("/v1/enforcers");
    const behind = enforcers.filter((e) => e.state !== "revoked" && e.revision_lag > 0).length;
    const head = ["Host", "State", "Version", "Applied revision", "Lag", "Last seen", "Certificate expires", "Apply error"];
    if (session.canEdit) head.push("Actions");
    clear(list, enforcers.length
      ? [h("p", { class: "summary" }, `${enforcers.length} enforcer(s); ${behind} behind on policy.`),
        table("Enforcers", head, enforcers, (e) => {
          const cells = [e.hostname, badge(e.state), e.version || "—", String(e.applied_revision),
            e.revision_lag > 0 ? h("span", { class: "lag" }, `${e.revision_lag} behind`) : "current",
            formatTime(e.last_seen_at), formatTime(e.certificate_expires_at), e.apply_error || "—"];
          if (session.canEdit) cells.push(e.state === "revoked" ? "revoked" : revokeButton(e));
          return cells;
        })]
      : empty(session.canEdit
        ? "No enforcer has enrolled yet. Create a join token below and run the command it shows on each node."
        : "No enforcer has enrolled yet. An operator creates a join token to enroll nodes."));
  }

  function revokeButton(enforcer) {
    return h("button", { type: "button", class: "danger", "aria-label": `Revoke ${enforcer.hostname}`, onclick: async () => {
      const ok = await confirmDialog(`Revoke ${enforcer.hostname}?`,
        "Its certificate stops working at once: open connections are closed and it must enroll again with a new join token.",
        "Revoke");
      if (!ok) return;
      try {
        await api("POST", `/v1/enforcers/${q(enforcer.id)}/revoke`);
        notify(`${enforcer.hostname} is revoked.`);
        await reload();
      } catch (e) { notify(e.message, "error"); }
    } }, "Revoke");
  }

  async function reloadTokens() {
    const items = await listAll("/v1/enforcer-tokens");
    const live = items.filter((t) => !t.revoked_at && Date.parse(t.expires_at) > Date.now() && t.uses < t.max_uses);
    clear(tokens, h("h2", { id: "tokens-title" }, "Join tokens"), tokenForm(),
      live.length
        ? table("Usable join tokens", ["Created", "By", "Expires", "Uses", ""], live,
          (t) => [formatTime(t.created_at), t.created_by, formatTime(t.expires_at), `${t.uses} of ${t.max_uses}`,
            h("button", { type: "button", "aria-label": `Revoke join token created ${formatTime(t.created_at)}`, onclick: async () => {
              try {
                await api("DELETE", `/v1/enforcer-tokens/${q(t.id)}`);
                notify("Join token revoked.");
                await reloadTokens();
              } catch (e) { notify(e.message, "error"); }
            } }, "Revoke")])
        : empty("No usable join token. Create one to enroll new nodes."));
  }

  function tokenForm() {
    const hours = h("input", { name: "ttl_hours", type: "number", min: 1, max: 720, value: 24, required: true });
    const uses = h("input", { name: "max_uses", type: "number", min: 1, max: 10000, value: 1, required: true });
    const result = h("div", { id: "token-result", "aria-live": "polite" });
    return h("div", {}, h("form", { class: "filters", "aria-label": "Create a join token", onsubmit: async (e) => {
      e.preventDefault();
      try {
        const created = await api("POST", "/v1/enforcer-tokens",
          { ttl_seconds: Math.round(Number(hours.value) * 3600), max_uses: Number(uses.value) });
        const command = `palisade-enforcer enroll --server ${location.hostname}:${ENFORCER_PORT} --token ${created.token} --ca ca.pem`;
        const text = h("pre", { class: "command", id: "enroll-command" }, command);
        clear(result, h("p", {}, `Join token created. It is shown only now; it works ${created.max_uses} time(s) until ${formatTime(created.expires_at)}. On each node, with Palisade's CA certificate saved as ca.pem, run:`),
          text,
          h("button", { type: "button", onclick: () => navigator.clipboard?.writeText(command).then(() => notify("Command copied."), () => notify("Select the command and copy it.", "error")) }, "Copy command"));
        await reloadTokensKeepingResult(result);
      } catch (err) { notify(err.message, "error"); }
    } }, field("Valid for (hours)", hours), field("Uses", uses), h("button", { type: "submit", class: "primary" }, "Create join token")),
    result);
  }

  /** Refreshes the token list without losing the one-time secret just shown. */
  async function reloadTokensKeepingResult(result) {
    const shown = [...result.childNodes];
    await reloadTokens();
    tokens.querySelector("#token-result")?.replaceChildren(...shown);
  }

  await reload();
  if (session.canEdit) await reloadTokens();
  const timer = setInterval(() => reload().catch(() => {}), 10000);
  return () => clearInterval(timer);
}
