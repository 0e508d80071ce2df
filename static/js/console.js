// The facilitator's console. Every button is a plain form (works without JavaScript);
// here it is sent over the websocket instead, and live counts, states and the moderation
// queue follow the facilitator snapshots. Keyboard: N/→ next, P/← previous, O open,
// C close, R show or hide results of the question on screen, M the moderation queue.
// Ending the session and closing paper counting ask first, in a <dialog>; a show of hands
// far beyond the room is asked about by its own form, posted plainly.
import { config, connect, el, format, newId } from "./live.js";
import { renderGroups, waitingText, whyText } from "./opinion.js";
import { renderResults } from "./results.js";

// Counts as the page's language writes them (1.520 in Dutch), as the server writes them.
const counts = new Intl.NumberFormat(document.documentElement.lang || undefined);
const figure = (n) => (n == null ? "–" : counts.format(n));

const cfg = config("console-config");
const s = cfg.strings;
// A refused plain form is shown again at the address it was posted to, which takes posts
// only: the page's address becomes the console's, so that a reload gets the console.
if (location.pathname !== cfg.console_url) history.replaceState(null, "", cfg.console_url + location.hash);
const status = document.getElementById("console-status");
const connected = document.getElementById("console-connected");
const joins = document.getElementById("console-joins");
const errorBox = document.getElementById("console-error");
const queueBox = document.getElementById("moderation-queue");
const notice = document.getElementById("console-notice");
const countBadge = document.getElementById("moderation-count");
const dialog = document.getElementById("confirm-dialog");
let current = null;
let agenda = new Map();
// Commands sent and not yet answered, by id: a refusal or a notice needs to know which.
const pending = new Map();

function showNotice(text) {
  notice.textContent = text;
  notice.hidden = !text;
}

// Ask before something that is hard to undo. Escape or Cancel closes the dialog; focus
// goes back to the button that opened it (the <dialog> element does both).
function ask({ title, text, confirm }) {
  return new Promise((resolve) => {
    if (!dialog || !dialog.showModal) {
      resolve(window.confirm(`${title}\n\n${text}`));
      return;
    }
    dialog.querySelector("#confirm-title").textContent = title;
    dialog.querySelector("#confirm-text").textContent = text;
    dialog.querySelector("#confirm-yes").textContent = confirm;
    dialog.returnValue = "";
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.showModal();
  });
}

function sendMessage(message) {
  pending.set(message.id, message);
  return socket.send(message);
}

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
}

function commandOf(form) {
  const data = new FormData(form);
  const message = { type: "command", id: newId(), command: data.get("command") };
  for (const key of ["question", "response", "statement"]) if (data.get(key)) message[key] = Number(data.get(key));
  if (message.command === "hands") {
    message.counts = {};
    for (const [name, value] of data) if (name.startsWith("hands_") && value !== "") message.counts[name.slice(6)] = Number(value);
  }
  if (data.get("decision")) message.decision = data.get("decision");
  if (data.has("reason")) message.reason = data.get("reason");
  return message;
}

document.addEventListener("submit", async (event) => {
  if (event.target.closest("dialog")) return;
  const ending = event.target.closest("form[data-confirm=end]");
  if (ending) {
    // Without the dialog the form shows the same question on the page (?confirm=end).
    if (!dialog || !dialog.showModal) return;
    event.preventDefault();
    const yes = await ask({ title: s.end_title, text: format(s.end_text, { minutes: cfg.reopen_minutes }), confirm: s.end_confirm });
    if (!yes) return;
    showError("");
    if (!sendMessage({ type: "command", id: newId(), command: "end" })) postPlain("end");
    return;
  }
  const form = event.target.closest("form.console-command");
  if (!form || !socket.open) return; // the plain form posts when the socket is down
  // "Yes, record it" under an unlikely show of hands posts as it does without JavaScript.
  if (event.submitter && event.submitter.name === "confirm_hands") return;
  event.preventDefault();
  showError("");
  showNotice("");
  sendMessage(commandOf(form));
});

// The plain form of a command, when the socket is down.
function postPlain(command, extra = {}) {
  const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const hidden = (name, value) => el("input", { type: "hidden", name, value });
  const form = el("form", { method: "post", action: cfg.action_url, hidden: true },
    hidden("csrfmiddlewaretoken", token), hidden("command", command),
    Object.entries(extra).map(([name, value]) => hidden(name, value)));
  document.body.append(form);
  form.submit();
}

async function refused(message, sent) {
  if (message.code === "paper_waiting" && sent) {
    // Forms still wait for their second entry: say how many, and let the facilitator decide.
    const yes = await ask({ title: s.paper_title, text: message.message, confirm: s.paper_confirm });
    if (yes && !sendMessage({ ...sent, id: newId(), confirm: true })) postPlain("paper_close", { confirm: "1" });
    return;
  }
  const handsForm = sent && sent.command === "hands" && document.querySelector(`form[data-form="hands-${sent.question}"]`);
  if (message.code === "hands_unlikely" && handsForm) {
    // Far more hands than the room has shown: the same form as without JavaScript asks,
    // the typed total beside the room's numbers, with "Yes, record it" (posted plainly).
    handsForm.submit();
    return;
  }
  showError(format(s.failed, { reason: message.message }));
}

function done(message, sent) {
  if (message.notice === "results_hidden") showNotice(s.results_hidden);
  // The page itself changes shape: the summary after the end, the agenda after reopening,
  // the paper card once counting closed.
  if (sent && ["end", "reopen", "paper_close"].includes(sent.command)) location.reload();
}

function send(command, question) {
  showError("");
  const message = { type: "command", id: newId(), command };
  if (question) message.question = question;
  if (!sendMessage(message)) {
    // Without the websocket, press the matching plain button.
    const selector = question ? `#q-${question} form[data-command="${command}"]` : `form[data-command="${command}"]`;
    document.querySelector(selector)?.requestSubmit();
  }
}

// WCAG 2.1.4: the single-key shortcuts can be turned off (kept on this computer).
const shortcutsBox = document.getElementById("shortcuts-on");
const shortcutsKey = "inspraak-console-shortcuts";
if (shortcutsBox) {
  shortcutsBox.checked = localStorage.getItem(shortcutsKey) !== "off";
  shortcutsBox.addEventListener("change", () => localStorage.setItem(shortcutsKey, shortcutsBox.checked ? "on" : "off"));
}

document.addEventListener("keydown", (event) => {
  if (shortcutsBox && !shortcutsBox.checked) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  if (cfg.state === "ended" || (dialog && dialog.open)) return;
  const key = event.key.toLowerCase();
  const question = current && agenda.get(current);
  if (key === "n" || key === "arrowright") send("next");
  else if (key === "p" || key === "arrowleft") send("previous");
  else if (key === "o" && question) send("open", current);
  else if (key === "c" && question) send("close", current);
  else if (key === "r" && question) send(question.revealed ? "hide" : "reveal", current);
  else if (key === "m" && queueBox) {
    const section = document.getElementById("moderation");
    section.scrollIntoView({ block: "start" });
    // Straight to the first waiting item's first button, else the section itself.
    (queueBox.querySelector("button") || section).focus();
  } else return;
  event.preventDefault();
});

// The on-screen question's answer count, for screen readers: at most every 10 s (the
// counts on the page change with every snapshot), as the presenter's summary does.
const countNews = document.getElementById("console-count-news");
let lastCount = "";
let countAt = 0;
let pendingCount = null;
function announceCount(text) {
  if (!countNews || text === lastCount) return;
  clearTimeout(pendingCount);
  const wait = Math.max(0, 10000 - (Date.now() - countAt));
  pendingCount = setTimeout(() => {
    countNews.textContent = text;
    lastCount = text;
    countAt = Date.now();
  }, wait);
}

function updateItem(question) {
  const item = document.getElementById(`q-${question.id}`);
  if (!item) return;
  const state = item.querySelector("[data-field=state]");
  state.textContent = s[question.state];
  state.className = `badge state-${question.state}`;
  item.querySelector("[data-field=revealed]").textContent = question.revealed ? s.revealed : s.hidden_results;
  item.querySelector("[data-field=on-screen]").hidden = question.id !== current;
  item.classList.toggle("on-screen", question.id === current);
  const r = question.results.respondents;
  item.querySelector("[data-field=counts]").textContent =
    `${format(s.answers, { n: figure(r.total) })} — ${s.room} ${figure(r.room)} · ${s.remote} ${figure(r.remote)} · ${s.paper} ${figure(r.paper)} · ${s.hands} ${figure(r.hands)}`;
  const results = item.querySelector("[data-field=results]");
  results.replaceChildren(renderResults(question, question.results, s));
  // A statements question's opinion groups, before they are shown on the projector too.
  if (question.opinion) {
    results.append(
      question.opinion.groups.length
        ? renderGroups(question.opinion, s, 3) // under the "Agenda" h2 (items have no heading)
        : el("p", { class: "opinion-waiting" }, waitingText(question.opinion, s)),
    );
    // For the facilitator: why this many groups (the projector shows the groups only).
    const why = question.opinion.groups.length ? whyText(question.opinion, s) : "";
    if (why) results.append(el("p", { class: "opinion-why meta" }, why));
  }
  for (const form of item.querySelectorAll("form[data-when]")) form.hidden = !form.dataset.when.split(" ").includes(question.state);
  for (const form of item.querySelectorAll("form[data-when-revealed]")) form.hidden = String(question.revealed) !== form.dataset.whenRevealed;
}

function moderationItem(kind, item) {
  const reasonId = `reason-${kind}-${item.id}`;
  const hidden = (name, value) => el("input", { type: "hidden", name, value });
  const question = agenda.get(item.question);
  return el("div", { class: "moderation-item" },
    el("p", { class: "moderation-question" }, `${s.question_label}: `, el("span", { class: "moderation-question-text" }, question ? question.text : "")),
    el("p", { class: "moderation-text" }, item.text),
    el("form", { method: "post", action: cfg.action_url, class: "inline-form console-command" },
      hidden("command", "moderate"), hidden(kind, item.id), hidden("decision", "approve"),
      el("button", { type: "submit", class: "button small primary" }, s.approve)),
    el("form", { method: "post", action: cfg.action_url, class: "inline-form console-command" },
      hidden("command", "moderate"), hidden(kind, item.id), hidden("decision", "hide"),
      el("label", { for: reasonId }, s.reason),
      el("input", { type: "text", id: reasonId, name: "reason", maxlength: 500, required: true }),
      el("button", { type: "submit", class: "button small danger" }, s.hide)));
}

function renderQueue(queue) {
  // Change only what changed, so focus on Approve, Hide or a reason stays put.
  const wanted = [...queue.texts.map((t) => ["response", t]), ...queue.statements.map((t) => ["statement", t])];
  const keys = new Set(wanted.map(([kind, item]) => `${kind}-${item.id}`));
  for (const node of [...queueBox.children]) if (!keys.has(node.dataset.key)) node.remove();
  for (const [kind, item] of wanted) {
    const key = `${kind}-${item.id}`;
    if (queueBox.querySelector(`[data-key="${key}"]`)) continue;
    const node = moderationItem(kind, item);
    node.dataset.key = key;
    const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
    for (const form of node.querySelectorAll("form")) form.prepend(el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: token }));
    queueBox.append(node);
  }
  const empty = queueBox.querySelector(".queue-empty");
  if (!wanted.length && !empty) queueBox.append(el("p", { class: "queue-empty" }, s.nothing_waiting));
  if (wanted.length && empty) empty.remove();
  if (countBadge) {
    const n = wanted.length;
    const text = n === 0 ? s.moderation_empty : n === 1 ? s.waiting_one : format(s.waiting, { n });
    if (countBadge.textContent !== text) countBadge.textContent = text;
    countBadge.classList.toggle("waiting", n > 0);
    countBadge.dataset.count = n;
  }
}

function render(snapshot) {
  // Ended elsewhere (another console, the process closed) or reopened: the page changes shape.
  if (snapshot.session.state !== cfg.state && (snapshot.session.state === "ended" || cfg.state === "ended")) {
    location.reload();
    return;
  }
  current = snapshot.session.current_question;
  agenda = new Map(snapshot.agenda.map((q) => [q.id, q]));
  for (const question of snapshot.agenda) updateItem(question);
  const onScreen = current && agenda.get(current);
  if (onScreen) announceCount(`${onScreen.text} ${format(s.answers, { n: onScreen.results.respondents.total })}`);
  for (const question of snapshot.agenda) if (question.kind === "qna") refreshRound(question);
  if (queueBox) renderQueue(snapshot.moderation);
  if (snapshot.connected) {
    const one = snapshot.connected.phones === 1;
    connected.textContent = format(one ? s.connected_one : s.connected, snapshot.connected);
  }
  // Many joins from one network address in the last minute (a flood, or one big Wi-Fi).
  const busiest = snapshot.joins ? snapshot.joins.busiest_network : 0;
  joins.hidden = !busiest;
  joins.textContent = busiest ? format(s.join_spike, { n: busiest }) : "";
  if (snapshot.session.state === "ended") status.textContent = s.ended || "";
}

// A Q&A round's panel (its forms drawn by the server: templates/live/_qna.html) is fetched
// again when its questions, pin or answers change, unless the facilitator is working in it
// (focus inside): then once they leave it. A form with something typed and not sent is
// carried into the fresh panel in place of its blank copy; if its question is no longer
// in the round (merged, hidden), the panel stays as it is until the next change. The
// check is made again when the fetched panel arrives, as they may have started typing
// meanwhile.
const roundSignatures = new Map();
const latestRounds = new Map();

function busy(box) {
  return box.contains(document.activeElement);
}

function changed(field) {
  if (field.type === "radio" || field.type === "checkbox") return field.checked !== field.defaultChecked;
  if (field.tagName === "SELECT") return field.selectedIndex !== Math.max(0, [...field.options].findIndex((o) => o.defaultSelected));
  return field.value !== field.defaultValue;
}

// Something typed and not sent: a field changed, or a form the server refused and filled
// in again as typed (data-kept: there, what was typed is the fields' default).
function unsent(form) {
  return form.hasAttribute("data-kept") || [...form.querySelectorAll("input:not([type=hidden]), textarea, select")].some(changed);
}

// Puts each form of `now` with something unsent into `fresh` in place of its copy there
// (the same data-form); moves nothing and says false if one of them has no copy.
function carryOver(now, fresh) {
  const moves = [...now.querySelectorAll("form")].filter(unsent).map((form) =>
    [form, form.dataset.form ? fresh.querySelector(`form[data-form="${CSS.escape(form.dataset.form)}"]`) : null]);
  if (moves.some(([, copy]) => !copy)) return false;
  for (const [form, copy] of moves) copy.replaceWith(form);
  return true;
}

function refreshWhenLeft(box, id) {
  if (box.dataset.refreshWaiting) return;
  box.dataset.refreshWaiting = "1";
  box.addEventListener("focusout", () => setTimeout(() => {
    delete box.dataset.refreshWaiting;
    const latest = latestRounds.get(id);
    if (latest) refreshRound(latest);
  }, 0), { once: true });
}

async function refreshRound(question) {
  latestRounds.set(question.id, question);
  const r = question.results;
  const signature = JSON.stringify([r.pinned, r.asked.map((a) => [a.id, a.votes.total, a.merged.length, a.answer && a.answer.mode])]);
  const box = document.querySelector(`#q-${question.id} .qna-console`);
  if (!box) return;
  if (!roundSignatures.has(question.id)) roundSignatures.set(question.id, box.dataset.signature || signature);
  if (roundSignatures.get(question.id) === signature) return;
  if (busy(box)) {
    refreshWhenLeft(box, question.id);
    return;
  }
  roundSignatures.set(question.id, signature);
  const response = await fetch(cfg.console_url, { credentials: "same-origin" });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html").querySelector(`#q-${question.id} .qna-console`);
  const now = document.querySelector(`#q-${question.id} .qna-console`);
  if (!fresh || !now) return;
  if (busy(now)) {
    // Typing began while the panel was fetched: keep what they typed, fetch again later.
    roundSignatures.set(question.id, "");
    refreshWhenLeft(now, question.id);
    return;
  }
  if (!carryOver(now, fresh)) return;
  fresh.open = now.open;
  now.replaceWith(fresh);
}

const socket = connect({
  path: cfg.socket,
  onMessage(message) {
    if (message.type === "snapshot") render(message);
    else if (message.type === "result") {
      const sent = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) done(message, sent);
      else refused(message, sent);
    } else if (message.type === "error") showError(message.message);
  },
  onState(state) {
    status.textContent = state === "open" ? s.live : state === "connecting" ? s.connecting : s.offline;
  },
});
