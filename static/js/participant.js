// The phone. Works on top of the plain HTML forms: answers go over the websocket with a
// client id; answers made while offline are kept (also across a reload) and sent again
// with their original ids on reconnect, so nothing is lost and nothing counts twice.
import { config, connect, el, format, newId } from "./live.js";
import { renderMap } from "./opinion.js";
import { renderResults } from "./results.js";

const cfg = config("phone-config");
const s = cfg.strings;
const container = document.getElementById("questions");
const status = document.getElementById("live-status");
const alertBox = document.getElementById("live-alert");
const storeKey = `inspraak:pending:${cfg.code}`;
const pending = new Map(JSON.parse(sessionStorage.getItem(storeKey) || "[]"));
let mine = cfg.mine || {};
const signatures = new Map();
const questions = new Map(); // id → the latest definition from a snapshot
const you = new Map(); // question id → this phone's place on the opinion map
let live = false; // a snapshot arrived on the current connection
let everLive = false; // the websocket has worked on this page: keep answers here when it drops
let flushing = null;
let retry = null;

function save() {
  sessionStorage.setItem(storeKey, JSON.stringify([...pending]));
}

// --- receipts: kept on this phone only (the server keeps their hashes) -----------------

const receiptKey = `inspraak:receipts:${cfg.code}`;
const receipts = JSON.parse(localStorage.getItem(receiptKey) || "[]");
const receiptList = document.getElementById("receipt-list");
let receiptFile = null;

function showReceipts() {
  if (!receiptList) return;
  receiptList.replaceChildren(
    ...receipts.map((r) =>
      el("li", {}, [
        el("span", { class: "receipt-question" }, r.question),
        " ",
        el("code", { class: "receipt-code" }, r.code),
        " ",
        el("a", { href: `${cfg.check_url}#${r.code}` }, s.receipt_check),
      ]),
    ),
  );
  const link = document.getElementById("receipt-download");
  if (!link || !receipts.length) return;
  if (receiptFile) URL.revokeObjectURL(receiptFile);
  const lines = [format(s.receipts_file, { url: cfg.check_url }), ""];
  for (const r of receipts) lines.push(`${r.code}  ${r.at}  ${r.question}`);
  receiptFile = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/plain" }));
  link.href = receiptFile;
  document.getElementById("receipt-save").hidden = false;
}

function keepReceipt(questionId, code) {
  const q = questions.get(questionId);
  receipts.unshift({ code, question: q ? q.text : "", at: new Date().toLocaleString() });
  receipts.splice(50);
  localStorage.setItem(receiptKey, JSON.stringify(receipts));
  showReceipts();
}
showReceipts();

function say(text) {
  alertBox.textContent = "";
  status.textContent = text;
}

function warn(text) {
  alertBox.textContent = text;
}

// --- building answers from the form fields (same names as the plain form) ------------

function answerFrom(form, kind) {
  const data = new FormData(form);
  switch (kind) {
    case "single_choice":
      return { option: Number(data.get("option")) || null };
    case "multiple_choice":
      return { options: data.getAll("options").map(Number) };
    case "scale":
      return { value: data.get("value") === null ? null : Number(data.get("value")) };
    case "ranking": {
      // The same rule as the server's plain form: each place once, from 1, no gaps.
      const places = [];
      for (const [name, value] of data) {
        if (name.startsWith("rank_") && value) places.push([Number(value), Number(name.slice(5))]);
      }
      places.sort((a, b) => a[0] - b[0]);
      if (places.some(([place], index) => place !== index + 1)) return null;
      return { ranking: places.map(([, option]) => option) };
    }
    case "budget": {
      const allocation = {};
      for (const [name, value] of data) if (name.startsWith("amount_")) allocation[name.slice(7)] = Number(value || 0);
      return { allocation };
    }
    case "open_text":
      return { text: data.get("text") || "" };
    default:
      return null;
  }
}

function send(message) {
  pending.set(message.client_id, message);
  save();
  if (!live || !socket.send(message)) say(s.queued);
}

// After a reconnect the queue goes out gently: the server allows bursts of 20.
function flush() {
  clearTimeout(flushing);
  const queue = [...pending.values()];
  const step = (index) => {
    if (index >= queue.length || !live) return;
    if (pending.has(queue[index].client_id)) socket.send(queue[index]);
    flushing = setTimeout(() => step(index + 1), index < 10 ? 0 : 250);
  };
  step(0);
}

container.addEventListener("submit", (event) => {
  const form = event.target.closest("form.answer-form");
  // Until the websocket has worked once, the plain form posts as usual.
  if (!form || !everLive) return;
  event.preventDefault();
  const question = Number(form.dataset.question);
  const kind = form.dataset.kind;
  if (kind === "statements") {
    const field = form.querySelector("[name=new_statement]");
    if (field && field.value.trim()) {
      send({ type: "propose", client_id: newId(), question, text: field.value });
      field.value = "";
    }
    return;
  }
  const answer = answerFrom(form, kind);
  if (answer === null) {
    warn(s.ranking_invalid);
    return;
  }
  send({ type: "answer", client_id: newId(), question, answer });
});

// Statements are voted with buttons (not radio buttons: arrowing through a radio group
// would cast a vote at every step).
container.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-vote]");
  if (!button) return;
  const form = button.closest("form.answer-form");
  const statement = Number(button.dataset.statement);
  for (const other of form.querySelectorAll(`button[data-statement="${statement}"]`)) {
    other.setAttribute("aria-pressed", String(other === button));
  }
  send({ type: "answer", client_id: newId(), question: Number(form.dataset.question), answer: { statement, vote: button.dataset.vote } });
});

// --- rendering questions from snapshots -------------------------------------------

function statementCard(statement, vote, kind) {
  const button = (name) => el("button", { type: "button", class: `button vote voting-${name}`, "aria-pressed": String(vote === name), dataset: { vote: name, statement: statement.id } }, s[name]);
  return el("fieldset", { class: `statement ${kind}` }, el("legend", {}, statement.text),
    el("div", { class: "vote-row" }, button("agree"), button("disagree"), button("pass")));
}

// Draw a statements question again after a vote counted (the next statement comes up);
// focus follows if the vote was cast on the statement that was up.
function redraw(questionId) {
  const q = questions.get(questionId);
  const node = document.getElementById(`question-${questionId}`);
  if (!q || !node || q.kind !== "statements" || q.state !== "open") return;
  const fromNext = Boolean(document.activeElement && document.activeElement.closest(".next-statement"));
  const wasOpen = Boolean(node.querySelector("details.my-votes[open]"));
  const fresh = section(q);
  carryOver(node, fresh);
  const details = fresh.querySelector("details.my-votes");
  if (details && wasOpen) details.open = true;
  showResults(fresh, q);
  node.replaceWith(fresh);
  if (fromNext) (fresh.querySelector(".next-statement button") || fresh.querySelector(".all-voted"))?.focus();
}

function fields(q) {
  const m = mine[String(q.id)] || {};
  const hint = `hint-${q.id}`;
  const parts = [el("legend", { class: "question-text", id: `qtitle-${q.id}` }, q.text)];
  if (q.description) parts.push(el("p", { class: "question-description" }, q.description));
  const help = (text) => el("p", { class: "help", id: hint }, text);
  if (q.kind === "single_choice" || q.kind === "multiple_choice") {
    const multiple = q.kind === "multiple_choice";
    const rule = q.max_choices === 1 ? s.choose_max_one : format(s.choose_max, { max: q.max_choices });
    parts.push(help(multiple ? rule : s.choose_one));
    for (const option of q.options) {
      const id = `q${q.id}-o${option.id}`;
      const checked = multiple ? (m.options || []).includes(option.id) : m.option === option.id;
      parts.push(el("div", { class: "choice" },
        el("input", { type: multiple ? "checkbox" : "radio", name: multiple ? "options" : "option", value: option.id, id, checked, "aria-describedby": hint }),
        el("label", { for: id }, option.text)));
    }
  } else if (q.kind === "scale") {
    const labels = [q.min_label ? `${q.min} = ${q.min_label}` : "", q.max_label ? `${q.max} = ${q.max_label}` : ""].filter(Boolean).join("; ");
    if (labels) parts.push(help(labels));
    const row = el("div", { class: "scale-row" });
    for (let value = q.min; value <= q.max; value += 1) {
      const id = `q${q.id}-v${value}`;
      row.append(el("div", { class: "scale-step" },
        el("input", { type: "radio", name: "value", value, id, checked: m.value === value, "aria-describedby": labels ? hint : null }),
        el("label", { for: id }, String(value))));
    }
    parts.push(row);
  } else if (q.kind === "ranking") {
    parts.push(help(s.rank_help));
    const ranking = m.ranking || [];
    for (const option of q.options) {
      const id = `q${q.id}-r${option.id}`;
      const select = el("select", { name: `rank_${option.id}`, id, "aria-describedby": hint }, el("option", { value: "" }, "–"));
      q.options.forEach((_, index) => select.append(el("option", { value: index + 1, selected: ranking.indexOf(option.id) === index }, String(index + 1))));
      parts.push(el("div", { class: "rank-row" }, el("label", { for: id }, option.text), select));
    }
  } else if (q.kind === "budget") {
    parts.push(help(format(s.budget_help, { total: q.total })));
    const allocation = m.allocation || {};
    for (const option of q.options) {
      const id = `q${q.id}-a${option.id}`;
      parts.push(el("div", { class: "amount-row" }, el("label", { for: id }, option.text),
        el("input", { type: "number", inputmode: "numeric", min: 0, max: q.total, step: 1, name: `amount_${option.id}`, id, value: allocation[String(option.id)] || 0, "aria-describedby": hint })));
    }
    parts.push(el("p", { class: "help budget-left", "aria-live": "polite", dataset: { total: q.total } }));
  } else if (q.kind === "open_text") {
    const id = `q${q.id}-text`;
    parts.push(el("label", { for: id }, s.your_answer));
    const area = el("textarea", { name: "text", id, rows: 5, maxlength: q.max_length, "aria-describedby": hint });
    area.value = m.text || "";
    parts.push(area, help(format(s.text_help, { max: q.max_length })));
  } else if (q.kind === "statements") {
    // As in Polis: the statements not voted on yet, one at a time; the votes given stay
    // below, folded, to change.
    parts.push(el("p", { class: "help" }, s.statements_help));
    const voted = q.statements.filter((statement) => m[String(statement.id)]);
    const next = q.statements.find((statement) => !m[String(statement.id)]);
    if (next) {
      parts.push(el("p", { class: "statement-count" }, format(s.statement_of, { n: voted.length + 1, total: q.statements.length })));
      parts.push(statementCard(next, "", "next-statement"));
    } else if (q.statements.length) {
      parts.push(el("p", { class: "all-voted", tabindex: "-1" }, s.all_voted));
    }
    if (voted.length) {
      parts.push(el("details", { class: "my-votes" }, el("summary", {}, format(s.my_votes, { n: voted.length })),
        voted.map((statement) => statementCard(statement, m[String(statement.id)], "voted-statement"))));
    }
    if (q.participants_may_add) {
      const id = `q${q.id}-new`;
      parts.push(el("label", { for: id }, s.add_statement),
        el("textarea", { name: "new_statement", id, rows: 2, maxlength: 500, "aria-describedby": `new-hint-${q.id}` }),
        el("p", { class: "help", id: `new-hint-${q.id}` }, s.add_help));
    }
  }
  return el("fieldset", { class: `question kind-${q.kind}` }, parts);
}

function section(q) {
  const node = el("section", { class: "card question-card", id: `question-${q.id}`, "aria-labelledby": `qtitle-${q.id}` });
  if (q.state === "open") {
    const answered = mine[String(q.id)] !== undefined;
    const submitLabel = q.kind === "statements" ? (q.participants_may_add ? s.propose : null) : answered ? s.change : s.send;
    const form = el("form", { method: "post", action: cfg.answer_url.replace(/\/0\/$/, `/${q.id}/`), class: "answer-form", dataset: { question: q.id, kind: q.kind } },
      el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrfToken() }),
      el("input", { type: "hidden", name: "form_id", value: newId() }),
      fields(q),
      submitLabel ? el("button", { type: "submit", class: "button primary wide" }, submitLabel) : null);
    node.append(form);
  } else {
    node.append(el("h2", { id: `qtitle-${q.id}`, class: "question-text" }, q.text),
      el("p", { class: "help" }, q.state === "closed" ? s.closed_question : s.soon));
  }
  node.append(el("div", { class: "phone-results" }));
  return node;
}

function showResults(node, q) {
  const box = node.querySelector(".phone-results");
  if (q.revealed && q.opinion) box.replaceChildren(el("h2", { class: "results-heading" }, s.map), yourPlace(q));
  else if (q.revealed && q.results) box.replaceChildren(el("h2", { class: "results-heading" }, s.results), renderResults(q, q.results, s));
  else if (box.firstChild) box.replaceChildren();
}

// The phone's view of the opinion map: where this participant is, and what sets their
// group apart; or how many more votes put them on the map.
function yourPlace(q) {
  const opinion = q.opinion;
  const box = el("div", { class: "opinion your-place" });
  if (!opinion.groups.length) {
    box.append(el("p", { class: "opinion-waiting" }, opinion.reason === "alike" ? s.groups_alike : format(s.groups_none, { n: opinion.threshold })));
    return box;
  }
  const place = you.get(q.id);
  const group = place && opinion.groups.find((g) => g.label === place.group);
  if (!group) {
    const votes = Object.keys(mine[String(q.id)] || {}).length;
    box.append(el("p", {}, format(s.not_placed, { n: Math.max(1, opinion.threshold - votes) })));
    box.append(renderMap(opinion, s));
    return box;
  }
  box.append(renderMap(opinion, s, { x: place.position[0], y: place.position[1], group: place.group }));
  box.append(el("p", {}, format(s.your_group, { name: group.name })));
  box.append(el("ul", {}, group.representative.map((line) => el("li", {}, el("span", { class: "opinion-vote" }, line.direction === "agree" ? format(s.agrees, { percent: line.percent }) : format(s.disagrees, { percent: line.percent })), " ", line.text))));
  return box;
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const field = document.querySelector("[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

// What someone typed survives a redraw of their question (say, when a statement is added).
function carryOver(from, to) {
  for (const field of from.querySelectorAll("textarea, input[type=number]")) {
    const twin = to.querySelector(`[name="${field.name}"]`);
    if (twin && field.value !== field.defaultValue) twin.value = field.value;
  }
}

function render(snapshot) {
  const wanted = [];
  for (const q of snapshot.questions) {
    // Results and their visibility change often; only the question itself decides
    // whether its form is drawn again.
    const { results, revealed, opinion, ...definition } = q;
    const signature = JSON.stringify(definition);
    questions.set(q.id, q);
    let node = document.getElementById(`question-${q.id}`);
    const adoptable = node && !signatures.has(q.id) && q.state === "open" && q.kind !== "statements" && node.querySelector("form");
    if (!node || (signatures.get(q.id) !== signature && !adoptable)) {
      const fresh = section(q);
      if (node) carryOver(node, fresh);
      node = fresh;
    } else if (!node.querySelector(".phone-results")) {
      node.append(el("div", { class: "phone-results" }));
    }
    signatures.set(q.id, signature);
    showResults(node, q);
    wanted.push(node);
  }
  if (!wanted.length) wanted.push(container.querySelector(".waiting") || el("p", { class: "waiting" }, s.waiting));
  // Put the wanted nodes in place without touching the ones already there, so focus and
  // the on-screen keyboard stay where they are.
  wanted.forEach((node, index) => {
    if (container.children[index] !== node) container.insertBefore(node, container.children[index] || null);
  });
  while (container.children.length > wanted.length) container.lastElementChild.remove();
  updateBudgets();
}

function updateBudgets() {
  for (const note of container.querySelectorAll(".budget-left")) {
    const form = note.closest("form");
    const used = [...form.querySelectorAll("input[name^=amount_]")].reduce((sum, input) => sum + Number(input.value || 0), 0);
    note.textContent = format(s.budget_left, { left: Number(note.dataset.total) - used });
  }
}
container.addEventListener("input", updateBudgets);

function remember(message) {
  // Keep `mine` current, so a question drawn again shows the answer that counts.
  const key = String(message.question);
  if (message.answer && "statement" in message.answer) {
    mine[key] = { ...(mine[key] || {}), [String(message.answer.statement)]: message.answer.vote };
  } else if (message.answer) {
    mine[key] = message.answer;
  }
}

function acknowledge(ack) {
  const sent = ack.client_id ? pending.get(ack.client_id) : null;
  if (ack.status === "rejected" && ack.code === "rate_limited") {
    // Still pending: send the queue again in a moment (once, however many were refused).
    if (!retry) retry = setTimeout(() => { retry = null; flush(); }, 1000);
    return;
  }
  if (ack.client_id) pending.delete(ack.client_id);
  save();
  if (ack.status === "rejected") {
    warn(format(s.rejected, { reason: ack.message }));
    return;
  }
  if (sent && ack.counted) remember(sent);
  if (ack.receipt) keepReceipt(ack.question, ack.receipt);
  say(s[ack.status] || s.counted);
  if (sent && ack.counted && sent.answer && "statement" in sent.answer) redraw(ack.question);
  const button = container.querySelector(`form[data-question="${ack.question}"] button[type=submit]`);
  if (button && ack.counted && button.closest("form").dataset.kind !== "statements") button.textContent = s.change;
}

const socket = connect({
  path: cfg.socket,
  onMessage(message) {
    if (message.type === "snapshot") {
      render(message);
      if (!live) {
        live = true;
        everLive = true;
        say(pending.size ? s.queued : s.live);
        flush();
      }
    } else if (message.type === "mine") {
      mine = message.answers;
      for (const id of questions.keys()) redraw(id);
    } else if (message.type === "you") {
      you.set(message.question, message);
      const node = document.getElementById(`question-${message.question}`);
      if (node && questions.has(message.question)) showResults(node, questions.get(message.question));
    } else if (message.type === "ack") {
      acknowledge(message);
    } else if (message.type === "error") {
      warn(message.message);
    }
  },
  onState(state, code) {
    if (state === "open") return;
    live = false;
    if (state === "connecting") say(pending.size ? s.queued : s.connecting);
    else if (code === 4401) location.reload();
    else say(code === 4404 ? s.ended : s.offline);
  },
});
