// The opinion map of a statements question (a snapshot's `opinion`): an SVG of the
// participants' positions coloured by group, with the groups' letters at their centres,
// and the lists beside it: what sets each group apart, common ground, where they differ.
// Colours are never the only cue: every group is named by letter, on the map and in words.
import { el, format } from "./live.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(name, attrs = {}, children = []) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function groupNames(opinion, s) {
  return opinion.groups.map((g) => format(s.group_size, { name: g.name, n: g.size })).join(", ");
}

// The map scaled to a square: the farthest dot from the middle sets the scale.
export function renderMap(opinion, s, you = null) {
  const points = [...(opinion.dots || []), ...opinion.groups.map((g) => [...g.center, g.label])];
  if (you) points.push([you.x, you.y, you.group]);
  const reach = Math.max(0.001, ...points.map(([x, y]) => Math.max(Math.abs(x), Math.abs(y)))) * 1.15;
  const at = (v) => (100 * v) / reach;
  const map = svg("svg", {
    viewBox: "-110 -110 220 220",
    class: "opinion-map",
    role: "img",
    "aria-label": format(s.map_label, { groups: groupNames(opinion, s) }),
  });
  map.append(svg("line", { x1: -105, y1: 0, x2: 105, y2: 0, class: "map-axis" }));
  map.append(svg("line", { x1: 0, y1: -105, x2: 0, y2: 105, class: "map-axis" }));
  for (const [x, y, label] of opinion.dots || []) {
    map.append(svg("circle", { cx: at(x).toFixed(1), cy: at(-y).toFixed(1), r: 2.6, class: `dot group-${label ?? "none"}` }));
  }
  for (const group of opinion.groups) {
    const [x, y] = group.center;
    const badge = svg("g", { class: `group-badge group-${group.label}`, transform: `translate(${at(x).toFixed(1)} ${at(-y).toFixed(1)})` });
    badge.append(svg("circle", { r: 11 }));
    const letter = svg("text", { "text-anchor": "middle", "dominant-baseline": "central" });
    letter.textContent = group.name;
    badge.append(letter);
    map.append(badge);
  }
  if (you) {
    const mark = svg("g", { class: "you-mark", transform: `translate(${at(you.x).toFixed(1)} ${at(-you.y).toFixed(1)})` });
    mark.append(svg("circle", { r: 6 }));
    const label = svg("text", { y: -10, "text-anchor": "middle" });
    label.textContent = s.you;
    mark.append(label);
    map.append(mark);
  }
  return map;
}

function vote(line, s) {
  return line.direction === "agree" ? format(s.agrees, { percent: line.percent }) : format(s.disagrees, { percent: line.percent });
}

// level: the heading level of each group (and list), under the heading around them.
export function renderGroups(opinion, s, level = 2) {
  return el(
    "div",
    { class: "opinion-groups" },
    opinion.groups.map((group) =>
      el(
        "section",
        { class: `opinion-group group-${group.label}` },
        el(`h${level}`, { class: "opinion-heading" }, el("span", { class: `group-swatch group-${group.label}`, "aria-hidden": "true" }), format(s.group_size, { name: group.name, n: group.size })),
        el("ul", {}, group.representative.map((line) => el("li", {}, el("span", { class: "opinion-vote" }, vote(line, s)), " ", line.text))),
      ),
    ),
  );
}

function overall(lines, s, title, none, level = 2) {
  return el(
    "section",
    { class: "opinion-list" },
    el(`h${level}`, { class: "opinion-heading" }, title),
    lines.length
      ? el(
          "ul",
          {},
          lines.map((line) =>
            el(
              "li",
              {},
              line.text,
              el("span", { class: "opinion-split" }, [format(s.agree_share, { percent: line.agree }), ...line.by_group.map((g) => format(s.group_agree, { name: g.name, percent: g.agree }))].join(" · ")),
            ),
          ),
        )
      : el("p", {}, none),
  );
}

// Why the map has as many groups as it has: its silhouette beside the other numbers'.
export function whyText(opinion, s) {
  const scores = opinion.silhouettes || {};
  const n = String(opinion.groups.length);
  if (!(n in scores)) return "";
  // In the page's language: 0,42 in Dutch.
  const number = (x) => Number(x).toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: 2 });
  const others = Object.keys(scores).filter((k) => k !== n).map((k) => `${k}: ${number(scores[k])}`).join(" · ");
  return format(s.groups_why, { n, score: number(scores[n]), others: others || "–" });
}

// Why there are no groups yet, and how many more votes are needed.
export function waitingText(opinion, s) {
  if (opinion.reason === "alike") return s.groups_alike;
  const needed = opinion.votes_needed || 0;
  const more = needed === 1 ? s.groups_needed_one : needed > 1 ? format(s.groups_needed, { n: needed }) : "";
  const none = opinion.threshold === 1 ? s.groups_none_one : s.groups_none;
  return [format(none, { n: opinion.threshold }), more].filter(Boolean).join(" ");
}

// Everything the projector shows of the map.
export function renderOpinion(opinion, s, level = 2) {
  const box = el("div", { class: "opinion" });
  if (!opinion.groups.length) {
    box.append(el("p", { class: "opinion-waiting" }, waitingText(opinion, s)));
    return box;
  }
  box.append(
    el("figure", { class: "opinion-figure" }, renderMap(opinion, s)),
    el(
      "div",
      { class: "opinion-lists" },
      renderGroups(opinion, s, level),
      overall(opinion.consensus, s, s.common, s.common_none, level),
      opinion.divisive.length ? overall(opinion.divisive, s, s.divisive, "", level) : null,
    ),
  );
  return box;
}

export function opinionSummary(opinion, s) {
  if (!opinion || !opinion.groups.length) return "";
  const common = opinion.consensus.length ? ` ${s.common}: ${opinion.consensus.map((l) => l.text).join("; ")}.` : "";
  return `${s.map}: ${groupNames(opinion, s)}.${common}`;
}
