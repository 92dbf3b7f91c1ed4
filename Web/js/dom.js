// Small DOM helpers shared by every page: element building (never innerHTML with data, so
// nothing from the API is ever parsed as markup), tables, dialogs, notices and formatting.

/** Builds an element: h("button", {class: "primary", onclick: f}, "Save"). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A table with a header row; `row(item)` returns the cells of one item. */
export function table(caption, headers, items, row, options = {}) {
  const body = h("tbody", {}, items.map((item) => {
    const tr = h("tr", {}, row(item).map((cell) => h("td", {}, cell)));
    if (options.onSelect) {
      tr.tabIndex = 0;
      tr.classList.add("selectable");
      tr.addEventListener("click", () => options.onSelect(item, tr));
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") options.onSelect(item, tr); });
    }
    return tr;
  }));
  return h("table", { class: "data" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
    body);
}

/** What to show when a list is empty: what it means and what to do next. */
export function empty(text) {
  return h("p", { class: "empty" }, text);
}

/** A labelled form field. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 10)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("small", {}, hint) : null);
}

export function select(name, options, value) {
  return h("select", { name }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
}

let noticeTimer;
/** A message in the notice bar (announced to screen readers); errors stay until replaced. */
export function notify(text, kind = "info") {
  const bar = document.getElementById("notice");
  bar.textContent = text;
  bar.className = `notice ${kind}`;
  bar.hidden = false;
  clearTimeout(noticeTimer);
  if (kind !== "error") noticeTimer = setTimeout(() => { bar.hidden = true; }, 6000);
}

export function clearNotice() {
  document.getElementById("notice").hidden = true;
}

/** A modal question; resolves true when confirmed. `body` is a node or text. */
export function confirmDialog(title, body, okLabel = "Confirm") {
  const dialog = document.getElementById("dialog");
  document.getElementById("dialog-title").textContent = title;
  clear(document.getElementById("dialog-body"), body);
  const ok = document.getElementById("dialog-ok");
  const cancel = document.getElementById("dialog-cancel");
  ok.textContent = okLabel;
  return new Promise((resolve) => {
    const finish = (answer) => {
      ok.onclick = cancel.onclick = dialog.oncancel = null;
      dialog.close();
      resolve(answer);
    };
    ok.onclick = () => finish(true);
    cancel.onclick = () => finish(false);
    dialog.oncancel = () => finish(false);
    dialog.showModal();
    cancel.focus();
  });
}

export function formatTime(value) {
  if (!value) return "never";
  const date = new Date(value);
  return date.toISOString().replace("T", " ").slice(0, 19) + "Z";
}

export function formatBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** A small pill showing a state or mode, styled by value. */
export function badge(text) {
  return h("span", { class: `badge b-${String(text).replace(/[^a-z0-9_-]/gi, "")}` }, text);
}

/** Query parameters after the page name: #/rules?group=web. */
export function hashParams() {
  return new URLSearchParams(location.hash.split("?")[1] || "");
}
