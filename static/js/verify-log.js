// The public log checked in the browser: every entry's SHA-256 recomputed from the log's
// JSON (/p/SLUG/log/entries.json, a page at a time) exactly as the server computes it
// (sessions_app/logchain.py, docs/transparency-log.md), each `prev` link followed, and
// the end compared with the head this page shows. Nothing is trusted from the server but
// the entries themselves.

const GENESIS = "0".repeat(64);

// --- canonical JSON, byte for byte as Python's
// json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

// A number as it was written, so that 1 (an int) and 1.0 (a float) stay apart, and
// large integers keep every digit.
class Num {
  constructor(text) {
    this.text = text;
  }
}

// JSON.parse loses what Python keeps (1.0 vs 1, digits past 2^53): a small parser of
// our own, which keeps numbers as written and objects as Maps.
export function parse(text) {
  let i = 0;
  const fail = (what) => {
    throw new SyntaxError(`${what} at ${i}`);
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const value = () => {
    space();
    const c = text[i];
    if (c === "{") {
      i++;
      const found = new Map();
      space();
      if (text[i] === "}") return i++, found;
      for (;;) {
        space();
        if (text[i] !== '"') fail("key expected");
        const key = string();
        space();
        if (text[i++] !== ":") fail("colon expected");
        found.set(key, value());
        space();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return i++, found;
        else fail("comma expected");
      }
    }
    if (c === "[") {
      i++;
      const found = [];
      space();
      if (text[i] === "]") return i++, found;
      for (;;) {
        found.push(value());
        space();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return i++, found;
        else fail("comma expected");
      }
    }
    if (c === '"') return string();
    for (const [word, meaning] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, i)) return (i += word.length), meaning;
    }
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!number) fail("value expected");
    i += number[0].length;
    return new Num(number[0]);
  };
  const string = () => {
    // The literal, with its escapes, is valid JSON on its own: JSON.parse decodes it.
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) fail("unterminated string");
    return JSON.parse(text.slice(start, ++i));
  };
  const found = value();
  space();
  if (i !== text.length) fail("trailing text");
  return found;
}

// repr() of a Python float: the shortest digits that read back to the same number (as
// JavaScript also finds them), written fixed from 1e-4 up to 1e16, else with an exponent
// of at least two digits; a whole number keeps ".0".
export function pythonFloat(x) {
  if (!Number.isFinite(x)) throw new RangeError("NaN and infinity are not JSON");
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, power] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(power);
  if (exp < -4 || exp >= 16) {
    const size = String(Math.abs(exp)).padStart(2, "0");
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${head}e${exp < 0 ? "-" : "+"}${size}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function number(num) {
  if (/[.eE]/.test(num.text)) return pythonFloat(Number(num.text));
  return BigInt(num.text).toString(); // "-0" is 0, as in Python
}

// Python sorts keys by code point; JavaScript's sort compares UTF-16 units, which differs
// above U+FFFF.
function byCodePoint(a, b) {
  const left = [...a];
  const right = [...b];
  for (let k = 0; k < Math.min(left.length, right.length); k++) {
    const d = left[k].codePointAt(0) - right[k].codePointAt(0);
    if (d) return d;
  }
  return left.length - right.length;
}

export function canonical(value) {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  // JSON.stringify escapes a string as Python does with ensure_ascii=False: \" \\ \b \f
  // \n \r \t, other control characters as \u00xx, everything else as itself.
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Num) return number(value);
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : pythonFloat(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  entries.sort((a, b) => byCodePoint(a[0], b[0]));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(",")}}`;
}

async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// logchain.entry_hash: the payload with its keys in sorted order.
export function entryText(processSlug, entry) {
  const get = (key) => entry.get(key);
  const seq = get("seq");
  return (
    `{"action":${JSON.stringify(get("action"))},"actor":${JSON.stringify(get("actor"))},` +
    `"at":${JSON.stringify(get("at"))},"data":${canonical(get("data"))},` +
    `"prev":${JSON.stringify(get("prev"))},"process":${JSON.stringify(processSlug)},` +
    `"seq":${seq instanceof Num ? number(seq) : seq},"v":1}`
  );
}

export async function entryHash(processSlug, entry) {
  return sha256(entryText(processSlug, entry));
}

// Follows the pages up to `seq` and checks every entry; `progress(n)` hears how many so
// far. Returns {ok, count, head} or {ok: false, seq, reason, …}.
export async function verifyLog({ url, process, seq, head }, progress = () => {}) {
  let prev = GENESIS;
  let count = 0;
  let next = `${url}?upto=${seq}`;
  while (next) {
    const response = await fetch(new URL(next, location.href), { headers: { Accept: "application/json" } });
    // The status goes to the console; the page says, in its own words, "fetch_failed".
    if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { reason: "fetch_failed" });
    const page = parse(await response.text());
    for (const entry of page.get("entries")) {
      count += 1;
      const at = entry.get("seq");
      const n = at instanceof Num ? Number(at.text) : NaN;
      if (n !== count) return { ok: false, seq: Number.isNaN(n) ? count : n, reason: "seq_gap" };
      if (entry.get("prev") !== prev) return { ok: false, seq: n, reason: "prev_mismatch" };
      let computed;
      try {
        computed = await entryHash(process, entry);
      } catch {
        return { ok: false, seq: n, reason: "unreadable" };
      }
      if (computed !== entry.get("hash")) return { ok: false, seq: n, reason: "hash_mismatch" };
      prev = computed;
    }
    progress(count);
    next = page.get("next");
  }
  if (count !== seq) return { ok: false, seq: count + 1, reason: "short", count };
  if (seq && prev !== head) return { ok: false, seq: count, reason: "head_mismatch", head: prev };
  return { ok: true, count, head: prev };
}

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

function start() {
  const config = document.getElementById("log-check-config");
  const box = document.getElementById("log-check");
  if (!config || !box) return;
  const settings = JSON.parse(config.textContent);
  const s = settings.strings;
  const button = document.getElementById("log-check-button");
  const bar = document.getElementById("log-check-progress");
  const result = document.getElementById("log-check-result");
  const numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
  box.querySelector(".log-check-run").hidden = false;
  button.addEventListener("click", async () => {
    if (!globalThis.crypto?.subtle) {
      result.dataset.outcome = "unavailable";
      result.textContent = s.no_crypto;
      return;
    }
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    result.dataset.outcome = "running";
    result.textContent = format(s.checking, { n: numbers.format(0) });
    try {
      const found = await verifyLog(settings, (n) => {
        bar.value = n;
      });
      if (found.ok) {
        result.dataset.outcome = "ok";
        result.textContent = found.count
          ? format(s.ok, { n: numbers.format(found.count), head: found.head })
          : s.empty;
      } else {
        const reason =
          found.reason === "head_mismatch"
            ? format(s.head_mismatch, { head: found.head, expected: settings.head })
            : found.reason === "short"
              ? format(s.short, { n: numbers.format(found.count), expected: numbers.format(settings.seq) })
              : s[found.reason];
        result.dataset.outcome = "broken";
        result.dataset.seq = found.seq;
        result.textContent = format(s.broken, { seq: numbers.format(found.seq), reason });
      }
    } catch (error) {
      // The browser's own message ("Failed to fetch", "HTTP 500") is English and technical:
      // it goes to the console, the page gives the translated reason.
      console.error(error);
      result.dataset.outcome = "failed";
      result.textContent = format(s.failed, { reason: s[error.reason] ?? s.fetch_failed });
    } finally {
      button.disabled = false;
      bar.hidden = true;
    }
  });
}

if (typeof document !== "undefined") start();
