// The projector. Renders the question on screen from presenter snapshots; results only
// when revealed. A text summary goes to an aria-live region, at most every few seconds.
import { config, connect, el, format } from "./live.js";
import { opinionSummary, renderOpinion } from "./opinion.js";
import { askedRow, num, renderResults, sentence, summary } from "./results.js";

const cfg = config("presenter-config");
const s = cfg.strings;
const questionNode = document.getElementById("stage-question");
const stateNode = document.getElementById("stage-state");
const resultsNode = document.getElementById("stage-results");
const summaryNode = document.getElementById("stage-summary");
const handsNode = document.getElementById("stage-hands");
let lastSummary = "";
let summaryAt = 0;
let pendingSummary = null;

function announce(text, urgent) {
  // Screen readers should not hear five updates a second: a new question is said at once,
  // changing numbers at most every 5 s.
  const now = Date.now();
  if (text === lastSummary) return;
  clearTimeout(pendingSummary);
  const wait = urgent ? 0 : Math.max(0, 5000 - (now - summaryAt));
  pendingSummary = setTimeout(() => {
    summaryNode.textContent = text;
    lastSummary = text;
    summaryAt = Date.now();
  }, wait);
}

let shownQuestion = null;
const stage = document.querySelector(".stage");

// Everything must fit on the projector: shrink the stage's type until it does.
function fit() {
  let scale = 1;
  stage.style.setProperty("--fit", scale);
  while (stage.scrollHeight > stage.clientHeight + 1 && scale > 0.45) {
    scale -= 0.05;
    stage.style.setProperty("--fit", scale.toFixed(2));
  }
}
window.addEventListener("resize", fit);
if (cfg.state === "ended") fit();

function render(snapshot) {
  const question = snapshot.question;
  document.body.dataset.version = snapshot.version;
  // Ended (a closing screen with where to follow the process) or reopened: the page is
  // another one.
  if ((snapshot.session.state === "ended") !== (cfg.state === "ended")) {
    location.reload();
    return;
  }
  if (cfg.state === "ended") return;
  handsNode.hidden = !(question && question.hands_rule);
  if (!question) {
    resultsNode.replaceChildren();
    fit();
    return;
  }
  const isNew = question.id !== shownQuestion;
  shownQuestion = question.id;
  questionNode.textContent = question.text;
  stateNode.textContent = s[question.state] || "";
  stateNode.className = `stage-state state-${question.state}`;
  if (question.qna) {
    // A Q&A round: the question being answered large, and the top of the list with its
    // votes split by source (the list is the round itself: always shown).
    const { pinned, top, shown } = question.qna;
    const max = Math.max(1, ...[pinned, ...top].filter(Boolean).map((a) => a.votes.total));
    const parts = [];
    if (pinned) {
      parts.push(el("section", { class: "qna-pinned" },
        el("p", { class: "qna-pinned-label" }, s.pinned_now),
        el("p", { class: "qna-pinned-text" }, pinned.text || s.erased),
        el("ol", { class: "result-list" }, askedRow(pinned, max, s))));
    }
    parts.push(top.length ? el("ol", { class: "result-list qna-top" }, top.map((item) => askedRow(item, max, s)))
      : (!pinned ? el("p", { class: "help" }, s.no_questions) : null));
    parts.push(el("p", { class: "result-total" }, format(s.asked_n, { n: num(shown) })));
    resultsNode.replaceChildren(...parts.filter(Boolean));
    announce(pinned ? `${s.pinned_now}: ${pinned.text}` : question.text, isNew);
  } else if (question.revealed && question.opinion) {
    // A statements question with its opinion map: the map and its lists take the stage.
    resultsNode.replaceChildren(renderOpinion(question.opinion, s));
    announce(`${sentence(question.text)} ${opinionSummary(question.opinion, s)}`, isNew);
  } else if (question.revealed && question.results) {
    resultsNode.replaceChildren(renderResults(question, question.results, s));
    announce(summary(question, question.results, s), isNew);
  } else {
    // replaceChildren() writes a null as the text "null": leave the line out instead
    // (once paper counting closes, results are no longer provisional).
    const lines = [
      el("p", { class: "result-total big" }, format(s.answers, { n: num(question.respondents) })),
      snapshot.session.provisional ? el("p", { class: "provisional" }, s.provisional) : null,
      el("p", { class: "help" }, s.hidden),
    ];
    resultsNode.replaceChildren(...lines.filter(Boolean));
    announce(`${sentence(question.text)} ${format(s.answers, { n: num(question.respondents) })}`, isNew);
  }
  fit();
}

connect({
  path: cfg.socket,
  onMessage(message) {
    if (message.type === "snapshot") render(message);
  },
  onState(state) {
    document.body.dataset.connection = state;
  },
});
