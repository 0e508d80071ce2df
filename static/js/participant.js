// The phone. Works on top of the plain HTML forms: answers go over the websocket with a
// client id; answers made while offline are kept (also across a reload) and sent again
// with their original ids on reconnect, so nothing is lost and nothing counts twice.
import { config, connect, el, format, newId } from "./live.js";
import { renderMap, waitingText } from "./opinion.js";
import { renderResults } from "./results.js";

const cfg = config("phone-config");
const s = cfg.strings;
// A count as the page's language writes it: 20.000 in Dutch, as the server writes it.
const counts = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 2 });
const figure = (n) => counts.format(n);
const container = document.getElementById("questions");
const status = document.getElementById("live-status");
const alertBox = document.getElementById("live-alert");
const storeKey = `inspraak:pending:${cfg.code}`;
const pending = new Map(JSON.parse(sessionStorage.getItem(storeKey) || "[]"));
let mine = cfg.mine || {};
const signatures = new Map();
const questions = new Map(); // id → the latest definition from a snapshot
const you = new Map(); // question id → this phone's place on the opinion map
// A Q&A round's list comes every few seconds in a large room: this phone's own upvotes
// (acknowledged, so counted) show in the counts at once, until the next snapshot has them.
const ownUpvotes = new Map(); // asked question id → +1 or -1 since the last snapshot
const upvoteSentAt = new Map(); // client id → the snapshot shown when it was sent
let snapshots = 0;
let live = false; // a snapshot arrived on the current connection
let everLive = false; // the websocket has worked on this page: keep answers here when it drops
let ended = false; // the facilitator ended the session: said once, and kept said
let contentLanguage = null; // the process's language, from the snapshots (markLanguage)
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
  // Hidden on the plain page (an empty list without JavaScript): shown once there are receipts.
  const receiptSection = receiptList.closest("section");
  if (receiptSection) receiptSection.hidden = !receipts.length;
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

// The line at the top says only how the connection is; what happened to an answer is said
// inside its question's card.
function say(text, offline = false) {
  alertBox.textContent = "";
  status.textContent = text;
  status.classList.toggle("is-offline", offline);
}

// A question that appears or closes is said in a polite region of its own, so the
// connection line keeps saying how the connection is.
const news = document.getElementById("live-news");
function announce(text) {
  if (news) news.textContent = text;
  else say(text);
}

function warn(text) {
  alertBox.textContent = text;
}

// A short note in a question's card (its live region): "saved on this phone", "not
// counted: …", "counted" for a statement. Replacing the node makes it heard again.
function cardNote(questionId, text, kind = "") {
  const box = document.getElementById(`status-${questionId}`);
  if (!box) {
    if (kind === "error") warn(text);
    else say(text);
    return;
  }
  for (const old of box.querySelectorAll(".answer-note")) old.remove();
  const note = el("p", { class: `answer-note${kind ? ` is-${kind}` : ""}` },
    kind === "done" ? [el("span", { class: "done-mark", "aria-hidden": "true" }, "✓"), " "] : null, text);
  box.append(note);
  if (box.getBoundingClientRect().top < 0) box.scrollIntoView({ block: "nearest" });
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
  if (!live || !socket.send(message)) cardNote(message.question, s.queued);
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
  if (kind === "qna-ask") {
    const data = new FormData(form);
    const text = String(data.get("ask_text") || "");
    if (!text.trim()) return;
    const message = { type: "ask", client_id: newId(), question, text };
    if (data.get("panel_member")) message.panel_member = Number(data.get("panel_member"));
    if (data.get("display_name")) message.display_name = String(data.get("display_name"));
    send(message);
    form.reset();
    return;
  }
  if (kind === "qna") return; // its buttons send (below)
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
    cardNote(question, s.ranking_invalid, "error");
    return;
  }
  send({ type: "answer", client_id: newId(), question, answer });
});

// Statements are voted with buttons (not radio buttons: arrowing through a radio group
// would cast a vote at every step).
container.addEventListener("click", (event) => {
  const upvote = event.target.closest("button[data-asked]");
  if (upvote) {
    event.preventDefault();
    const question = Number(upvote.closest("form").dataset.question);
    const vote = upvote.dataset.action;
    const asked = Number(upvote.dataset.asked);
    const clientId = newId();
    upvoteSentAt.set(clientId, snapshots);
    send({ type: "answer", client_id: clientId, question, answer: { statement: asked, vote } });
    return;
  }
  const order = event.target.closest("button[data-order]");
  if (order) {
    const card = order.closest(".question-card");
    card.dataset.order = order.dataset.order;
    const q = questions.get(Number(card.id.slice(9)));
    if (q) showAsked(card, q);
    return;
  }
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

const answered = (q) => q.state === "open" && q.kind !== "statements" && mine[String(q.id)] !== undefined;

// Draw a question's card again in place (after an answer counted, or this phone's answers
// arrived), keeping its live region so what it says next is heard. Focus follows: to the
// next statement after a vote, to "Change my answer" after an answer.
function redraw(questionId, moveFocus = true) {
  const q = questions.get(questionId);
  const node = document.getElementById(`question-${questionId}`);
  if (!q || !node || q.state !== "open") return;
  const focused = document.activeElement;
  const fromNext = Boolean(focused && focused.closest(".next-statement"));
  const fromForm = moveFocus && (!focused || focused === document.body || node.contains(focused));
  const wasOpen = Boolean(node.querySelector("details.my-votes[open]"));
  const fresh = section(q);
  markLanguage(fresh);
  carryOver(node, fresh);
  const details = fresh.querySelector("details.my-votes");
  if (details && wasOpen) details.open = true;
  showResults(fresh, q);
  const box = node.querySelector(".answer-status");
  const freshBox = fresh.querySelector(".answer-status");
  if (!box) {
    node.replaceWith(fresh);
  } else {
    const parts = [...fresh.children];
    const at = parts.indexOf(freshBox);
    for (const child of [...node.children]) if (child !== box) child.remove();
    box.before(...parts.slice(0, at));
    box.after(...parts.slice(at + 1));
    node.className = fresh.className;
    // The confirmation, new: a live region reads out what is added to it.
    for (const old of box.querySelectorAll(".answer-done, .answer-note")) old.remove();
    box.prepend(...freshBox.childNodes);
  }
  const card = document.getElementById(`question-${questionId}`);
  if (fromNext) (card.querySelector(".next-statement button") || card.querySelector(".all-voted"))?.focus();
  else if (fromForm && q.kind !== "statements") card.querySelector(".change-answer > summary")?.focus();
}

function answerSummary(q, m) {
  const names = new Map((q.options || []).map((option) => [option.id, option.text]));
  if ("option" in m) return names.get(m.option) || "";
  if ("options" in m) return m.options.filter((id) => names.has(id)).map((id) => names.get(id)).join(", ");
  if ("value" in m) return String(m.value);
  if ("ranking" in m) return m.ranking.filter((id) => names.has(id)).map((id, index) => `${index + 1}. ${names.get(id)}`).join(", ");
  if ("allocation" in m) {
    return Object.entries(m.allocation).filter(([id, amount]) => Number(amount) && names.has(Number(id)))
      .map(([id, amount]) => `${names.get(Number(id))}: ${budgetAmount(q, Number(amount))}`).join("; ");
  }
  return m.text || "";
}

function unitOf(q) {
  return q.unit ?? (cfg.units || {})[String(q.id)] ?? "";
}

function budgetAmount(q, n) {
  const unit = unitOf(q);
  return unit ? format(s.amount_unit, { n: figure(n), unit }) : format(n === 1 ? s.amount_one : s.amount_n, { n: figure(n) });
}

function confirmation(q) {
  const summary = answerSummary(q, mine[String(q.id)] || {});
  return el("div", { class: "answer-done" },
    el("p", { class: "answer-done-title" }, el("span", { class: "done-mark", "aria-hidden": "true" }, "✓"), " ", s.counted),
    summary ? el("p", { class: "answer-summary" }, el("span", { class: "answer-summary-label" }, s.your_answer_is), " ", summary) : null,
    el("p", { class: "help" }, s.may_change));
}

function fields(q) {
  const m = mine[String(q.id)] || {};
  const hint = `hint-${q.id}`;
  const parts = [];
  if (q.description) parts.push(el("p", { class: "question-description" }, q.description));
  const help = (text, extra = "") => el("p", { class: `help${extra}`, id: hint }, text);
  if (q.kind === "single_choice" || q.kind === "multiple_choice") {
    const multiple = q.kind === "multiple_choice";
    const rule = q.max_choices === 1 ? s.choose_max_one : format(s.choose_max, { max: q.max_choices });
    parts.push(help(multiple ? rule : s.choose_one));
    for (const option of q.options) {
      const id = `q${q.id}-o${option.id}`;
      const checked = multiple ? (m.options || []).includes(option.id) : m.option === option.id;
      parts.push(el("label", { class: "choice-row", for: id },
        el("input", { type: multiple ? "checkbox" : "radio", name: multiple ? "options" : "option", value: option.id, id, checked, "aria-describedby": hint }),
        el("span", { class: "choice-text" }, option.text)));
    }
  } else if (q.kind === "scale") {
    const row = el("div", { class: "scale-options" });
    for (let value = q.min; value <= q.max; value += 1) {
      const id = `q${q.id}-v${value}`;
      const end = value === q.min && q.min_label ? q.min_label : value === q.max && q.max_label ? q.max_label : "";
      row.append(el("label", { class: "scale-option", for: id },
        el("input", { type: "radio", name: "value", value, id, checked: m.value === value }),
        el("span", { class: "scale-face" }, el("span", { class: "scale-value" }, String(value)), end ? [" ", el("span", { class: "scale-end" }, end)] : null)));
    }
    parts.push(row);
  } else if (q.kind === "ranking") {
    parts.push(help(s.rank_help, " rank-select-help"));
    const ranking = m.ranking || [];
    const selects = el("div", { class: "rank-selects" });
    for (const option of q.options) {
      const id = `q${q.id}-r${option.id}`;
      const select = el("select", { name: `rank_${option.id}`, id, "aria-describedby": hint }, el("option", { value: "" }, "–"));
      q.options.forEach((_, index) => select.append(el("option", { value: index + 1, selected: ranking.indexOf(option.id) === index }, String(index + 1))));
      selects.append(el("div", { class: "rank-row" }, el("label", { for: id }, option.text), select));
    }
    parts.push(selects);
  } else if (q.kind === "budget") {
    const unit = unitOf(q);
    parts.push(help(unit ? format(s.budget_help_unit, { n: figure(q.total), unit }) : format(q.total === 1 ? s.budget_help_one : s.budget_help_n, { n: figure(q.total) })));
    const allocation = m.allocation || {};
    for (const option of q.options) {
      const id = `q${q.id}-a${option.id}`;
      parts.push(el("div", { class: "amount-row" }, el("label", { for: id }, option.text),
        el("span", { class: "amount-field" },
          el("input", { type: "number", inputmode: "numeric", min: 0, max: q.total, step: 1, name: `amount_${option.id}`, id, value: allocation[String(option.id)] || 0, "aria-describedby": hint }),
          " ", el("span", { class: "amount-unit" }, unit || s.points_word))));
    }
    parts.push(el("p", { class: "help budget-left", "aria-live": "polite", dataset: { total: q.total, unit } }));
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
  const fieldset = el("fieldset", { class: `question kind-${q.kind}`, "aria-labelledby": `qtitle-${q.id}` }, parts);
  if (q.kind === "ranking") tapToOrder(fieldset);
  return fieldset;
}

// --- a Q&A round: ask the panel, upvote others' questions (templates/participate/_qna.html)

function qnaSection(q) {
  const node = el("section", { class: "card question-card", id: `question-${q.id}`, "aria-labelledby": `qtitle-${q.id}` },
    el("h2", { id: `qtitle-${q.id}`, class: "question-text", tabindex: "-1" }, q.text),
    el("div", { class: "answer-status", id: `status-${q.id}`, role: "status", "aria-live": "polite", "aria-atomic": "true" }));
  if (q.state !== "open") {
    node.append(el("p", { class: "help" }, q.state === "closed" ? s.closed_question : s.soon));
    return node;
  }
  if (q.description) node.append(el("p", { class: "help question-description" }, q.description));
  const action = cfg.answer_url.replace(/\/0\/$/, `/${q.id}/`);
  const id = (name) => `q${q.id}-${name}`;
  const parts = [
    el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrfToken() }),
    el("input", { type: "hidden", name: "form_id", value: newId() }),
    el("label", { for: id("ask") }, s.qna_your_question),
    el("textarea", { name: "ask_text", id: id("ask"), rows: 3, maxlength: q.max_length, required: true, "aria-describedby": id("ask-help") }),
    el("p", { class: "help", id: id("ask-help") }, format(q.max_length === 1 ? s.qna_max_one : s.qna_max, { max: q.max_length }), q.moderated ? ` ${s.qna_moderated}` : ""),
  ];
  if (q.panel.length) {
    parts.push(el("label", { for: id("member") }, s.qna_to),
      el("select", { name: "panel_member", id: id("member") }, el("option", { value: "" }, s.qna_whole_panel),
        q.panel.map((m) => el("option", { value: m.id }, m.role ? `${m.name}, ${m.role}` : m.name))));
  }
  if (q.names) {
    parts.push(el("label", { for: id("name") }, s.qna_name),
      el("input", { type: "text", name: "display_name", id: id("name"), maxlength: 60, autocomplete: "off", "aria-describedby": id("name-help") }),
      el("p", { class: "help", id: id("name-help") }, s.qna_name_help));
  }
  parts.push(el("button", { type: "submit", class: "button primary wide" }, s.qna_ask));
  node.append(el("form", { method: "post", action, class: "answer-form qna-ask", dataset: { question: q.id, kind: "qna-ask" } }, parts));
  node.append(el("div", { class: "qna-waiting" }));
  node.append(el("h3", { class: "qna-list-title", id: id("list") }),
    el("p", { class: "qna-order" },
      el("button", { type: "button", class: "button small", dataset: { order: "votes" } }, s.qna_by_votes), " ",
      el("button", { type: "button", class: "button small", dataset: { order: "time" } }, s.qna_by_time)),
    el("form", { method: "post", action, class: "answer-form qna-votes", dataset: { question: q.id, kind: "qna" } },
      el("ol", { class: "qna-list", "aria-labelledby": id("list") })));
  return node;
}

// The list of a round's questions, drawn again from every snapshot (only the list: what
// someone is typing above it stays), keeping focus on the button that had it.
function showAsked(node, q) {
  const list = node.querySelector(".qna-list");
  if (!list) return;
  const m = mine[String(q.id)] || {};
  const own = new Set(m.own || []);
  const order = node.dataset.order || "votes";
  for (const button of node.querySelectorAll("button[data-order]")) button.setAttribute("aria-pressed", String(button.dataset.order === order));
  const asked = [...(q.asked || [])];
  if (order === "time") asked.sort((a, b) => b.id - a.id); // ids follow the order of asking
  const title = node.querySelector(".qna-list-title");
  if (title) title.textContent = format(q.asked_total === 1 ? s.qna_count_one : s.qna_count, { n: q.asked_total ?? asked.length });
  const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.dataset.asked : null;
  const members = new Map((q.panel || []).map((member) => [member.id, member.name]));
  list.replaceChildren(...asked.map((item) => {
    const meta = [];
    if (item.pinned) meta.push(el("strong", {}, s.pinned_now));
    if (own.has(item.id)) meta.push(el("strong", {}, s.qna_yours));
    else if (item.name) meta.push(item.name);
    if (item.panel_member && members.has(item.panel_member)) meta.push(format(s.to_member, { name: members.get(item.panel_member) }));
    if (item.paper) meta.push(s.on_paper);
    const votes = item.votes + (ownUpvotes.get(item.id) || 0);
    meta.push(format(votes === 1 ? s.qna_votes_one : s.votes_n, { n: votes }));
    if (item.answer) meta.push(s[`answer_${item.answer}`] || "");
    const joined = meta.flatMap((part, i) => (i ? [" · ", part] : [part]));
    const up = m[String(item.id)] === "up";
    const button = q.upvotes && !own.has(item.id)
      ? el("button", { type: "submit", name: up ? "withdraw" : "upvote", value: item.id, class: "button vote", "aria-pressed": String(up), dataset: { asked: item.id, action: up ? "withdrawn" : "up" } },
        up ? s.qna_withdraw : s.qna_upvote, el("span", { class: "visually-hidden" }, `: ${item.text ? item.text.slice(0, 60) : s.erased}`))
      : null;
    return el("li", { class: `qna-item${own.has(item.id) ? " is-own" : ""}${item.pinned ? " is-pinned" : ""}`, id: `asked-${item.id}` },
      el("p", { class: "qna-text" }, item.text || s.erased), el("p", { class: "qna-meta" }, joined), button);
  }));
  if (!asked.length) list.append(el("li", { class: "help" }, s.qna_none));
  if (focused) list.querySelector(`button[data-asked="${focused}"]`)?.focus();
  // The phone's own questions that wait for a facilitator (as the plain page says them);
  // one shown on the list no longer waits.
  const waiting = node.querySelector(".qna-waiting");
  if (waiting) {
    const shown = new Set(asked.map((item) => item.id));
    waiting.replaceChildren(...(m.waiting || []).filter((item) => !shown.has(item.id))
      .map((item) => el("p", { class: "answer-note" }, format(s.qna_waiting, { text: item.text }))));
  }
}

// The same card as templates/participate/phone.html draws: its heading, a live region
// for what happened to the answer, and the form (folded under "Change my answer" once
// the answer counts).
function section(q) {
  if (q.kind === "qna") return qnaSection(q);
  const done = answered(q);
  const node = el("section", { class: `card question-card${done ? " is-answered" : ""}`, id: `question-${q.id}`, "aria-labelledby": `qtitle-${q.id}` },
    el("h2", { id: `qtitle-${q.id}`, class: "question-text", tabindex: "-1" }, q.text),
    el("div", { class: "answer-status", id: `status-${q.id}`, role: "status", "aria-live": "polite", "aria-atomic": "true" }, done ? confirmation(q) : null));
  if (q.state === "open") {
    const submitLabel = q.kind === "statements" ? (q.participants_may_add ? s.propose : null) : s.send;
    const form = el("form", { method: "post", action: cfg.answer_url.replace(/\/0\/$/, `/${q.id}/`), class: "answer-form", dataset: { question: q.id, kind: q.kind } },
      el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrfToken() }),
      el("input", { type: "hidden", name: "form_id", value: newId() }),
      fields(q),
      submitLabel ? el("button", { type: "submit", class: "button primary wide" }, submitLabel) : null);
    node.append(done ? el("details", { class: "change-answer" }, el("summary", { class: "button" }, s.change), form) : form);
  } else {
    node.append(el("p", { class: "help" }, q.state === "closed" ? s.closed_question : s.soon));
  }
  node.append(el("div", { class: "phone-results" }));
  return node;
}

// --- ranking: tap the options in order; the place selects stay what the form sends ------

function tapToOrder(fieldset) {
  const selects = fieldset.querySelector(".rank-selects");
  if (!selects || fieldset.querySelector(".rank-tap")) return;
  const rows = [...selects.querySelectorAll(".rank-row")].map((row) => ({
    select: row.querySelector("select"),
    name: row.querySelector("label").textContent.trim(),
    lang: row.querySelector("label").lang,
  }));
  // The order so far, from the selects (pre-filled with the answer that counts).
  let order = rows.filter((row) => row.select.value).sort((a, b) => Number(a.select.value) - Number(b.select.value));
  const said = el("p", { class: "visually-hidden rank-said", "aria-live": "polite" });
  const buttons = rows.map((row) => el("button", { type: "button", class: "rank-item" },
    el("span", { class: "rank-badge", "aria-hidden": "true" }), el("span", { class: "rank-name", lang: row.lang || null }, row.name)));
  const again = el("button", { type: "button", class: "button rank-again" }, s.rank_again);
  function show() {
    rows.forEach((row, index) => {
      const place = order.indexOf(row) + 1;
      row.select.value = place ? String(place) : "";
      const button = buttons[index];
      button.setAttribute("aria-pressed", String(place > 0));
      button.setAttribute("aria-label", place ? format(s.rank_item, { option: row.name, n: place }) : row.name);
      button.querySelector(".rank-badge").textContent = place ? String(place) : "";
    });
    again.hidden = !order.length;
  }
  buttons.forEach((button, index) => button.addEventListener("click", () => {
    const row = rows[index];
    if (order.includes(row)) {
      order = order.filter((other) => other !== row);
      said.textContent = format(s.rank_removed, { option: row.name });
    } else {
      order.push(row);
      said.textContent = format(s.rank_placed, { option: row.name, n: order.length });
    }
    show();
  }));
  again.addEventListener("click", () => {
    order = [];
    show();
    said.textContent = s.rank_cleared;
    buttons[0]?.focus();
  });
  const helpId = `${fieldset.querySelector(".rank-select-help")?.id || "rank"}-tap`;
  fieldset.querySelector(".rank-select-help").hidden = true;
  selects.hidden = true;
  selects.before(el("p", { class: "help rank-tap-help", id: helpId }, s.rank_tap_help),
    el("div", { class: "rank-tap", role: "group", "aria-describedby": helpId }, buttons), again, said);
  show();
}

function showResults(node, q) {
  const box = node.querySelector(".phone-results");
  if (q.revealed && q.opinion) box.replaceChildren(el("h3", { class: "results-heading" }, s.map), yourPlace(q));
  else if (q.revealed && q.results) box.replaceChildren(el("h3", { class: "results-heading" }, s.results), renderResults(q, q.results, s));
  else if (box.firstChild) box.replaceChildren();
}

// The phone's view of the opinion map: where this participant is, and what sets their
// group apart; or how many more votes put them on the map.
function yourPlace(q) {
  const opinion = q.opinion;
  const box = el("div", { class: "opinion your-place" });
  if (!opinion.groups.length) {
    box.append(el("p", { class: "opinion-waiting" }, waitingText(opinion, s)));
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

// Each question's state in the previous snapshot: what is new, or newly closed, is said.
const knownStates = new Map();

function render(snapshot) {
  ownUpvotes.clear();
  snapshots += 1;
  const wanted = [];
  const heard = [];
  let refocus = null;
  for (const q of snapshot.questions) {
    const before = knownStates.get(q.id);
    if (before === undefined && snapshots > 1) heard.push(format(s.new_question, { text: q.text }));
    else if (before !== undefined && before !== "closed" && q.state === "closed") heard.push(format(s.closed_now, { text: q.text }));
    knownStates.set(q.id, q.state);
    // Results and their visibility change often; only the question itself decides
    // whether its form is drawn again.
    // A round's list of asked questions changes with every vote: drawn apart (showAsked).
    const { results, revealed, opinion, asked, asked_total, pinned, ...definition } = q;
    const signature = JSON.stringify(definition);
    questions.set(q.id, q);
    let node = document.getElementById(`question-${q.id}`);
    const adoptable = node && !signatures.has(q.id) && q.state === "open" && q.kind !== "statements" && node.querySelector("form");
    if (!node || (signatures.get(q.id) !== signature && !adoptable)) {
      const fresh = section(q);
      if (node) carryOver(node, fresh);
      if (node && node.contains(document.activeElement)) refocus = fresh;
      node = fresh;
    } else if (!node.querySelector(".phone-results")) {
      node.append(el("div", { class: "phone-results" }));
    }
    signatures.set(q.id, signature);
    if (q.kind === "qna") {
      if (!node.querySelector(".qna-list") || !node.querySelector("button[data-order]")) {
        // The server's card (plain forms): take the live one, keeping what was typed.
        const fresh = section(q);
        carryOver(node, fresh);
        if (node.contains(document.activeElement)) refocus = fresh;
        node = fresh;
      }
      showAsked(node, q);
      wanted.push(node);
      continue;
    }
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
  // Focus was in a card drawn again: it goes to the new card's heading, not to the page.
  if (refocus && refocus.isConnected) refocus.querySelector(".question-text")?.focus();
  if (heard.length) announce(heard.join(" "));
  contentLanguage = (snapshot.session && snapshot.session.language) || null;
  markLanguage(container);
  updateBudgets();
}

// The process's own words (its questions, options and statements) in its language, on a
// page whose interface speaks another one: said so, for screen readers (as the plain
// page does). Never the interface's own text.
const CONTENT = ".session-title, .question-text, .question-description, .choice-text, .scale-end, .rank-row label, .rank-name, .amount-row label, fieldset.statement > legend";
function markLanguage(root) {
  const page = (document.documentElement.lang || "").split("-")[0];
  if (!contentLanguage || contentLanguage.split("-")[0] === page) return;
  for (const node of root.querySelectorAll(CONTENT)) {
    if (!node.lang) node.lang = contentLanguage;
  }
}

// "30 points left to divide", "30 points too many", in the budget's own unit.
function updateBudgets() {
  for (const note of container.querySelectorAll(".budget-left")) {
    const form = note.closest("form");
    const used = [...form.querySelectorAll("input[name^=amount_]")].reduce((sum, input) => sum + Number(input.value || 0), 0);
    const total = Number(note.dataset.total);
    const unit = note.dataset.unit || "";
    const left = total - used;
    const n = Math.abs(left);
    const key = left > 0 ? "budget_left" : left < 0 ? "budget_over" : "budget_done";
    const count = left === 0 ? total : n;
    note.textContent = unit ? format(s[`${key}_unit`], { n: figure(count), unit }) : format(s[count === 1 ? `${key}_one` : `${key}_n`], { n: figure(count) });
    note.classList.toggle("is-over", left < 0);
    note.classList.toggle("is-done", left === 0);
  }
}
container.addEventListener("input", updateBudgets);
for (const fieldset of container.querySelectorAll("fieldset.kind-ranking")) tapToOrder(fieldset);
updateBudgets();

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
    cardNote(ack.question ?? sent?.question, format(s.rejected, { reason: ack.message }), "error");
    return;
  }
  if (sent && sent.type === "ask") {
    const key = String(ack.question);
    if (ack.asked) {
      const m = (mine[key] = mine[key] || {});
      m.own = [...new Set([...(m.own || []), ack.asked])];
      if (ack.status === "held" && !(m.waiting || []).some((item) => item.id === ack.asked)) {
        m.waiting = [...(m.waiting || []), { id: ack.asked, text: sent.text }];
      }
      const node = document.getElementById(`question-${ack.question}`);
      if (node && questions.has(ack.question)) showAsked(node, questions.get(ack.question));
    }
    cardNote(ack.question, ack.status === "shown" ? s.qna_shown : ack.status === "held" ? s.qna_held : s.duplicate, "done");
    return;
  }
  if (sent && sent.type === "answer" && "statement" in sent.answer && questions.get(sent.question)?.kind === "qna") {
    if (ack.counted) {
      remember(sent);
      // Only while the list shown is older than the vote: a snapshot that came meanwhile
      // may hold it already (the next one surely does).
      if (upvoteSentAt.get(ack.client_id) === snapshots) {
        const asked = sent.answer.statement;
        ownUpvotes.set(asked, (ownUpvotes.get(asked) || 0) + (sent.answer.vote === "up" ? 1 : -1));
      }
    }
    upvoteSentAt.delete(ack.client_id);
    const node = document.getElementById(`question-${ack.question}`);
    if (node) showAsked(node, questions.get(sent.question));
    cardNote(ack.question, sent.answer.vote === "up" ? s.qna_upvoted : s.qna_withdrawn, "done");
    return;
  }
  if (sent && ack.counted) remember(sent);
  if (ack.receipt) keepReceipt(ack.question, ack.receipt);
  const vote = Boolean(sent && sent.answer && "statement" in sent.answer);
  // An answer that counts turns its card into the confirmation (drawn again from `mine`);
  // a statement's vote brings up the next statement, and the card says it counted.
  if (sent && ack.counted) redraw(ack.question);
  if (ack.status === "held") cardNote(ack.question, s.held);
  else if (vote || !ack.counted) cardNote(ack.question, s[ack.status] || s.counted, ack.counted ? "done" : "");
}

const socket = connect({
  path: cfg.socket,
  onMessage(message) {
    if (message.type === "snapshot") {
      render(message);
      // The facilitator ended the meeting while this phone was connected: say so (the
      // questions are closed in the same snapshot). A session reopened is live again.
      if (message.session && message.session.state === "ended") {
        if (!ended) say(s.ended, true);
        ended = true;
        return;
      }
      if (ended) {
        ended = false;
        live = false;
      }
      if (!live) {
        live = true;
        everLive = true;
        say(pending.size ? s.queued : s.live);
        flush();
      }
    } else if (message.type === "mine") {
      mine = message.answers;
      for (const [id, q] of questions) {
        const node = document.getElementById(`question-${id}`);
        if (q.kind === "qna") {
          if (node) showAsked(node, q);
          continue;
        }
        if (q.kind === "statements" || (node && node.classList.contains("is-answered") !== answered(q))) redraw(id, false);
      }
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
    if (state === "open" || ended) return;
    live = false;
    if (state === "connecting") say(pending.size ? s.queued : s.connecting, pending.size > 0);
    else if (code === 4401) location.reload();
    else say(code === 4404 ? s.ended : s.offline, true);
  },
});
