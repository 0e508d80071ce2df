// Shared by the phone, presenter and console pages: a websocket that reconnects with
// backoff and says hello with the last snapshot version it saw, and a tiny DOM helper.

export function config(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

export function format(template, values) {
  // A missing number reads as a dash, never as "null" on the projector.
  return template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? String(values[key] ?? "–") : ""));
}

// el("p", {class: "x"}, "text", child): children that are strings become text nodes, so
// text from participants is never parsed as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    // Through the CSSOM: a style attribute is inline style, which the policy refuses.
    else if (name === "style") for (const [key, part] of Object.entries(value)) node.style.setProperty(key, part);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Close codes 44xx mean "do not try again" (unknown session, not joined, not allowed).
export function connect({ path, onMessage, onState }) {
  let socket = null;
  let attempt = 0;
  let timer = null;
  let version = null;
  let heartbeat = null;
  let lastHeard = 0;
  const url = () => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;

  function open() {
    clearTimeout(timer);
    onState("connecting");
    socket = new WebSocket(url());
    socket.addEventListener("open", () => {
      attempt = 0;
      lastHeard = Date.now();
      socket.send(JSON.stringify({ type: "hello", last_version: version }));
      onState("open");
      // A venue's Wi-Fi can drop without closing the socket: ping, and give up on a
      // connection that has been silent for too long.
      clearInterval(heartbeat);
      heartbeat = setInterval(() => {
        if (Date.now() - lastHeard > 45000) socket.close();
        else if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
      }, 30000);
    });
    socket.addEventListener("message", (event) => {
      lastHeard = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "snapshot") version = message.version;
      onMessage(message);
    });
    socket.addEventListener("close", (event) => {
      clearInterval(heartbeat);
      onState("closed", event.code);
      if (event.code >= 4400 && event.code < 4500) return;
      const delay = Math.min(15000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt += 1;
      timer = setTimeout(open, delay);
    });
  }
  window.addEventListener("offline", () => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.close();
  });
  window.addEventListener("online", () => {
    if (!socket || socket.readyState === WebSocket.CLOSED) open();
  });
  open();
  return {
    send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify(message));
        return true;
      }
      return false;
    },
    get open() {
      return Boolean(socket && socket.readyState === WebSocket.OPEN);
    },
  };
}

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID().replaceAll("-", "");
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
