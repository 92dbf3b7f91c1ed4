// The REST API client: the same /v1 endpoints SOAR tools use. Problems (RFC 9457) become
// ApiError with the server's own words; a 401 means the session ended, and sends the user
// back to sign in.
import { session } from "./session.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The server answered ${status}.`);
    this.status = status;
    this.problem = problem;
  }
}

let onSessionEnded = () => {};
export function whenSessionEnds(callback) { onSessionEnded = callback; }

export function authHeaders() {
  const token = session.current?.token;
  return token ? { authorization: `Bearer ${token}` } : {};
}

export async function api(method, path, body, headers = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { ...authHeaders(), ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, { detail: "The server cannot be reached. Check the connection and try again." });
  }
  const text = await response.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = null; } }
  if (response.status === 401 && path !== "/v1/auth/login") {
    onSessionEnded("Your session has ended. Sign in again to continue.");
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Every item of a paged list (bounded, so a huge list cannot hang the page). */
export async function listAll(path, maxPages = 20) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page++) {
    const separator = path.includes("?") ? "&" : "?";
    const url = `${path}${separator}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const data = await api("GET", url);
    items.push(...data.items);
    cursor = data.next_cursor;
    if (!cursor) break;
  }
  return items;
}

export const q = encodeURIComponent;
