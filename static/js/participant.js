// The phone. Works on top of the plain HTML forms: answers go over the websocket with a
// client id; answers made while offline are kept (also across a reload) and sent again
// with their original ids on reconnect, so nothing is lost and nothing counts twice.
import { config, connect, el, format, newId } from "./live.js";
import { renderResults } from "./results.js";

const cfg = config("phone-config");
const s = cfg.strings;
const container = document.getElementById("questions");
const status = document.getElementById("live-status");
const storeKey = `inspraak:pending:${cfg.code}`;
const pending = new Map(JSON.parse(sessionStorage.getItem(storeKey) || "[]"));
let mine = cfg.mine || {};
const signatures = new Map();
let live = false; // a snapshot arrived on the current connection
let everLive = false; // the websocket has worked on this page: keep answers here when it drops

function save() {
  sessionStorage.setItem(storeKey, JSON.stringify([...pending]));
}

function say(text) {
  status.textContent = text;
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
      const places = [];
      for (const [name, value] of data) {
        if (name.startsWith("rank_") && value) places.push([Number(value), Number(name.slice(5))]);
      }
      places.sort((a, b) => a[0] - b[0]);
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
  if (!socket.send(message)) say(s.queued);
}

function flush() {
  for (const message of pending.values()) socket.send(message);
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
  send({ type: "answer", client_id: newId(), question, answer: answerFrom(form, kind) });
});

container.addEventListener("change", (event) => {
  const input = event.target;
  const form = input.closest("form.answer-form");
  if (!form || !everLive || form.dataset.kind !== "statements" || !input.name.startsWith("vote_")) return;
  send({
    type: "answer",
    client_id: newId(),
    question: Number(form.dataset.question),
    answer: { statement: Number(input.name.slice(5)), vote: input.value },
  });
});

// --- rendering questions from snapshots -------------------------------------------

function radio(name, value, id, label, checked) {
  return [el("input", { type: "radio", name, value, id, checked }), el("label", { for: id }, label)];
}

function fields(q) {
  const m = mine[String(q.id)] || {};
  const hint = `hint-${q.id}`;
  const parts = [el("legend", { class: "question-text", id: `qtitle-${q.id}` }, q.text)];
  if (q.description) parts.push(el("p", { class: "question-description" }, q.description));
  const help = (text) => el("p", { class: "help", id: hint }, text);
  if (q.kind === "single_choice" || q.kind === "multiple_choice") {
    const multiple = q.kind === "multiple_choice";
    parts.push(help(multiple ? format(s.choose_max, { max: q.max_choices }) : s.choose_one));
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
    parts.push(el("p", { class: "help" }, s.statements_help));
    for (const statement of q.statements) {
      const vote = m[String(statement.id)] || "";
      const base = `q${q.id}-s${statement.id}`;
      parts.push(el("fieldset", { class: "statement" }, el("legend", {}, statement.text),
        el("div", { class: "vote-row" },
          ...radio(`vote_${statement.id}`, "agree", `${base}-agree`, s.agree, vote === "agree"),
          ...radio(`vote_${statement.id}`, "disagree", `${base}-disagree`, s.disagree, vote === "disagree"),
          ...radio(`vote_${statement.id}`, "pass", `${base}-pass`, s.pass, vote === "pass"))));
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
  showResults(node, q);
  return node;
}

function showResults(node, q) {
  const box = node.querySelector(".phone-results");
  if (!box) return;
  if (q.revealed && q.results) box.replaceChildren(el("h3", {}, s.results), renderResults(q, q.results, s));
  else box.replaceChildren();
}

function csrfToken() {
  const field = document.querySelector("[name=csrfmiddlewaretoken]");
  if (field) return field.value;
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function render(snapshot) {
  const seen = new Set();
  const nodes = [];
  for (const q of snapshot.questions) {
    const { results, ...definition } = q;
    const signature = JSON.stringify(definition);
    const id = `question-${q.id}`;
    let node = document.getElementById(id);
    seen.add(id);
    // Keep a question the participant may be filling in; redraw only what changed.
    const keep = node && (signatures.get(q.id) === signature || (!signatures.has(q.id) && node.querySelector("form") && q.state === "open"));
    if (!keep) node = section(q);
    else {
      if (!node.querySelector(".phone-results")) node.append(el("div", { class: "phone-results" }));
      showResults(node, q);
    }
    signatures.set(q.id, signature);
    nodes.push(node);
  }
  if (!nodes.length) nodes.push(el("p", { class: "waiting" }, s.waiting));
  container.replaceChildren(...nodes);
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

function acknowledge(ack) {
  if (ack.client_id) pending.delete(ack.client_id);
  save();
  if (ack.status === "rejected") {
    say(format(s.rejected, { reason: ack.message }));
    return;
  }
  say(s[ack.status] || s.counted);
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
    } else if (message.type === "ack") {
      acknowledge(message);
    } else if (message.type === "error") {
      say(message.message);
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
