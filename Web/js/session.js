// The signed-in user's token, kept in sessionStorage (never a cookie: no CSRF, and it ends
// with the tab). Roles decide which controls pages draw; the API enforces them anyway.
const KEY = "palisade.session";

export const session = {
  get current() {
    try { return JSON.parse(sessionStorage.getItem(KEY)); } catch { return null; }
  },
  save(login) {
    sessionStorage.setItem(KEY, JSON.stringify({ token: login.token, user: login.user, expiresAt: login.expires_at }));
  },
  clear() { sessionStorage.removeItem(KEY); },
  get role() { return this.current?.user?.role || null; },
  /** Operators and admins change policy; readers only look. */
  get canEdit() { return this.role === "operator" || this.role === "admin"; },
  get isAdmin() { return this.role === "admin"; },
};
