// Results of one question, drawn from a snapshot's `results` (sessions_app/results.py),
// with the split by source. Used big on the presenter and small on phones and the console.
import { el, format } from "./live.js";

const SOURCES = ["room", "remote", "paper", "hands"];
const numbers = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 2 });

// Dutch readers expect 66,7 and 1.250; the snapshot has plain JSON numbers.
export function num(value) {
  return value === null || value === undefined ? "–" : numbers.format(value);
}

function split(counts, s) {
  const parts = SOURCES.filter((key) => counts[key]).map((key) => `${s[key]} ${num(counts[key])}`);
  return parts.join(" · ");
}

function bar(part, whole, counts) {
  const wrap = el("div", { class: "bar", "aria-hidden": "true" });
  for (const key of SOURCES) {
    const n = counts ? counts[key] : 0;
    if (!n || !whole) continue;
    wrap.append(el("span", { class: `bar-part source-${key}`, style: { width: `${(100 * n) / whole}%` } }));
  }
  if (!counts && whole) wrap.append(el("span", { class: "bar-part source-room", style: { width: `${(100 * part) / whole}%` } }));
  return wrap;
}

function legend(s) {
  return el(
    "p",
    { class: "legend" },
    SOURCES.map((key) => el("span", { class: "legend-item" }, el("span", { class: `swatch source-${key}`, "aria-hidden": "true" }), s[key])),
  );
}

function row(label, value, barNode, detail) {
  return el("li", { class: "result-row" }, el("span", { class: "result-label" }, label), el("span", { class: "result-value" }, value), barNode, detail ? el("span", { class: "result-split" }, detail) : null);
}

export function renderResults(question, results, s) {
  const box = el("div", { class: `results results-${question.kind}` });
  const respondents = results.respondents;
  box.append(el("p", { class: "result-total" }, format(s.answers, { n: num(respondents.total) }), respondents.total ? ` (${split(respondents, s)})` : ""));
  if (results.provisional) box.append(el("p", { class: "provisional" }, s.provisional));
  const list = el("ol", { class: "result-list" });
  const kind = question.kind;
  if (kind === "single_choice" || kind === "multiple_choice") {
    const max = Math.max(1, ...results.options.map((o) => o.counts.total));
    for (const option of results.options) {
      list.append(row(option.text, `${num(option.percent)}% (${num(option.counts.total)})`, bar(option.counts.total, max, option.counts), split(option.counts, s)));
    }
  } else if (kind === "scale") {
    const max = Math.max(1, ...results.distribution.map((d) => d.counts.total));
    for (const step of results.distribution) {
      list.append(row(String(step.value), num(step.counts.total), bar(step.counts.total, max, step.counts), split(step.counts, s)));
    }
    if (results.mean !== null) box.append(el("p", { class: "result-stat" }, format(s.mean, { mean: num(results.mean), median: num(results.median) })));
  } else if (kind === "ranking") {
    const options = [...results.options].sort((a, b) => b.borda.total - a.borda.total);
    const max = Math.max(1, ...options.map((o) => o.borda.total));
    for (const option of options) {
      const place = option.mean_rank === null ? "" : format(s.mean_rank, { rank: num(option.mean_rank) });
      list.append(row(option.text, format(s.points, { points: num(option.borda.total) }), bar(option.borda.total, max, option.borda), place));
    }
  } else if (kind === "budget") {
    const options = [...results.options].sort((a, b) => (b.average || 0) - (a.average || 0));
    for (const option of options) {
      list.append(row(option.text, format(s.average, { average: num(option.average), total: num(results.total_points) }), bar(option.points.total, results.total_points * Math.max(1, respondents.total), option.points), split(option.points, s)));
    }
  } else if (kind === "open_text") {
    const wall = el("ul", { class: "text-wall" }, results.approved.map((item) => el("li", { class: "wall-card" }, item.text)));
    box.append(results.approved.length ? wall : el("p", {}, s.no_texts));
    return box;
  } else if (kind === "qna") {
    // A Q&A round: the asked questions, most votes first, with their votes split by source.
    const asked = results.asked || [];
    const max = Math.max(1, ...asked.map((a) => a.votes.total));
    for (const item of asked) list.append(askedRow(item, max, s));
    if (!asked.length) box.append(el("p", {}, s.no_questions));
  } else if (kind === "statements") {
    for (const statement of results.statements) {
      const total = Math.max(1, statement.votes);
      const stacked = el("div", { class: "bar stacked", "aria-hidden": "true" },
        ["agree", "disagree", "pass"].map((key) => el("span", { class: `bar-part vote-${key}`, style: { width: `${(100 * statement[key].total) / total}%` } })));
      const counts = ["agree", "disagree", "pass"].map((key) => `${s[key]} ${num(statement[key].total)}`).join(" · ");
      list.append(row(statement.text, counts, stacked, null));
    }
  }
  box.append(list);
  if (kind !== "statements" && kind !== "open_text" && kind !== "qna") box.append(legend(s));
  return box;
}

// One asked question: its text (and who asked, to whom, from where), its votes and bar.
export function askedRow(item, max, s) {
  const meta = [];
  if (item.name) meta.push(item.name);
  if (item.panel_member && item.panel_member.name) meta.push(format(s.to_member, { name: item.panel_member.name }));
  if (item.source === "paper") meta.push(s.on_paper);
  if (item.merged && item.merged.length) meta.push(format(s.merged_n, { n: num(item.merged.length) }));
  if (item.answer) meta.push(s[`answer_${item.answer.mode}`] || "");
  const label = el("span", {}, item.text || s.erased, meta.length ? el("span", { class: "asked-meta" }, ` (${meta.join(" · ")})`) : null);
  return row(label, format(s.votes_n, { n: num(item.votes.total) }), bar(item.votes.total, max, item.votes), split(item.votes, s));
}

// A question as a sentence: "Which colour?" ends its own, "Benches" gets a full stop.
export function sentence(text) {
  const trimmed = (text || "").trim();
  return /[.?!…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

export function summary(question, results, s) {
  const parts = [format(s.summary, { question: sentence(question.text), n: num(results.respondents.total) })];
  if (results.options && (question.kind === "single_choice" || question.kind === "multiple_choice")) {
    parts.push(results.options.map((o) => `${o.text} ${num(o.percent)}%`).join(", "));
  } else if (question.kind === "scale" && results.mean !== null) {
    parts.push(format(s.mean, { mean: num(results.mean), median: num(results.median) }));
  }
  return parts.join(" ");
}
