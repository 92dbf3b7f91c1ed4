// Server-Sent Events over fetch: EventSource cannot send an Authorization header, and the
// token never goes in a URL or a cookie. Reconnects with Last-Event-ID, so nothing is missed.
import { authHeaders } from "./api.js";

export function followEvents(query, onEvent, onState = () => {}) {
  const controller = new AbortController();
  let lastID = null;
  let stopped = false;

  async function connect() {
    while (!stopped) {
      try {
        const headers = { ...authHeaders(), accept: "text/event-stream" };
        if (lastID) headers["last-event-id"] = lastID;
        const response = await fetch(`/v1/events/stream${query}`, { headers, signal: controller.signal, cache: "no-store" });
        if (response.status === 401 || response.status === 403) { onState("ended"); return; }
        if (!response.ok) throw new Error(`status ${response.status}`);
        onState("live");
        await read(response.body);
      } catch (error) {
        if (stopped) return;
      }
      onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }

  async function read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id = null, data = "";
        for (const line of frame.split("\n")) {
          if (line.startsWith("id: ")) id = line.slice(4);
          else if (line.startsWith("data: ")) data += line.slice(6);
        }
        if (id) lastID = id;
        if (data) onEvent(JSON.parse(data));
      }
    }
  }

  connect();
  return () => { stopped = true; controller.abort(); };
}
