// Sign in: POST /v1/auth/login; the token goes to sessionStorage only.
import { api } from "../api.js";
import { session } from "../session.js";
import { clear, field, h } from "../dom.js";

export function render(main, done) {
  const username = h("input", { name: "username", autocomplete: "username", required: true, maxlength: 64 });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Sign in to Palisade"),
    field("User name", username), field("Password", password), error, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    error.hidden = true;
    try {
      session.save(await api("POST", "/v1/auth/login", { username: username.value, password: password.value }));
      done();
    } catch (e) {
      error.textContent = e.status === 401 ? "The user name or password is not right." : e.message;
      error.hidden = false;
      button.disabled = false;
      password.select();
    }
  });
  clear(main, form);
  username.focus();
}
