/**
 * `/docs`: an API reference that renders `/v1/openapi.json` in the browser, with a "Try it" form per
 * operation. Everything is inline (no CDN, no web fonts) so it works offline and from a locked-down network.
 *
 * Safety: the script builds DOM nodes and sets only `textContent` and attributes (never `innerHTML`), so no
 * string from the document can become markup; links from Markdown are limited to relative, http(s) and
 * mailto URLs. There is no `eval` and no inline handler attribute, so a strict CSP only needs the hashes
 * of the one style and one script block.
 */

const STYLE = `
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330}
a{color:#2456c8}
code,pre,input,textarea{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:#f1f3f6;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
header{padding:1.25rem 2rem;border-bottom:1px solid #e3e6ec;background:#fafbfc}
header h1{display:inline;margin:0 .5rem 0 0;font-size:1.6rem}
.links a{margin-right:1rem}
.md p{margin:.3rem 0}.md ul{margin:.3rem 0;padding-left:1.3rem}
#intro{max-width:60rem}
#auth label{display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:center;margin:.5rem 0}
#auth input{max-width:28rem}
.layout{display:grid;grid-template-columns:250px minmax(0,1fr);gap:2rem;padding:0 2rem;max-width:1400px}
nav{position:sticky;top:0;align-self:start;max-height:100vh;overflow:auto;padding:1rem 0;font-size:13px}
nav h3{font-size:13px;margin:.8rem 0 .3rem}nav ul{list-style:none;margin:0;padding:0}
nav li a{display:flex;gap:.4rem;padding:2px 0;color:inherit;text-decoration:none}nav li a:hover{color:#2456c8}
main{padding:1rem 0 4rem;min-width:0}
@media(max-width:860px){.layout{grid-template-columns:1fr;padding:0 1rem}nav{position:static;max-height:none}}
.tools{float:right}.tools button{margin-left:.4rem}
.m{flex:none;display:inline-block;min-width:4.4em;text-align:center;font:700 11px/1.8 ui-monospace,monospace;border-radius:3px;color:#fff;background:#6b7280}
nav .m{align-self:flex-start;min-width:3.6em;font-size:10px;line-height:1.6}
.m-get{background:#2563eb}.m-post{background:#15803d}.m-put{background:#c2410c}.m-patch{background:#0f766e}.m-delete{background:#b91c1c}
.op{border:1px solid #e3e6ec;border-radius:6px;margin:.5rem 0;scroll-margin-top:.5rem}
.op:target{box-shadow:0 0 0 2px #f5c542}
.op>summary{cursor:pointer;padding:.5rem .75rem;display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:center}
.op[open]>summary{border-bottom:1px solid #e3e6ec;background:#f8f9fb}
.path{background:none;padding:0;font-weight:600}.sum{color:#4b5363}
.body{padding:.25rem 1rem 1rem}.perma{float:right;font-size:12px}
h4{margin:1.2rem 0 .4rem;font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#5b6475}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-size:12px;color:#5b6475}
.req{color:#b42318;font-size:11px;margin-left:.4em}
.t{color:#7a3db8;font:13px ui-monospace,monospace}
.c{display:inline-block;font-size:12px;background:#eef1f6;border-radius:9px;padding:0 .5em;margin:0 0 0 .35em;overflow-wrap:anywhere}
.row>.md,.row>.md p{display:inline;margin:0 0 0 .4em;color:#4b5363}
ul.tree{list-style:none;margin:.15rem 0 .15rem .3rem;padding-left:1rem;border-left:1px dashed #d5d9e0}
ul.tree li{margin:.2rem 0}
.resp{border-top:1px solid #eceef2;padding:.4rem 0}
.st{font:700 12px/1.6 ui-monospace,monospace;padding:0 6px;border-radius:3px;background:#e5e7eb;margin-right:.5rem}
.s2{background:#dcfce7;color:#166534}.s3{background:#e0e7ff;color:#3730a3}.s4{background:#fef3c7;color:#92400e}.s5{background:#fee2e2;color:#991b1b}
.rh{display:flex;align-items:baseline}.rh .md{flex:1}
details.sch>summary{cursor:pointer;color:#5b6475;font-size:13px;margin:.2rem 0}
form.try{background:#f8f9fb;border:1px solid #e3e6ec;border-radius:6px;padding:.75rem}
form.try label{display:grid;grid-template-columns:minmax(8rem,14rem) 1fr;gap:.5rem;margin:.35rem 0;align-items:center}
input,textarea{width:100%;padding:.35rem .5rem;border:1px solid #c9ced8;border-radius:4px;background:#fff}
textarea{min-height:7rem;resize:vertical}
button{font:inherit;font-size:14px;padding:.3rem .9rem;border-radius:4px;border:1px solid #2456c8;background:#2456c8;color:#fff;cursor:pointer}
button.alt{background:#fff;color:#2456c8}button:disabled{opacity:.6;cursor:wait}
.out{margin-top:.75rem}.out dl{display:grid;grid-template-columns:max-content 1fr;gap:0 1rem;font:12px ui-monospace,monospace;margin:.5rem 0}
.out dt{color:#5b6475}.out dd{margin:0;overflow-wrap:anywhere}.out .key{font-weight:700;color:#1d2330}
pre{background:#0f172a;color:#e2e8f0;padding:.75rem;border-radius:6px;overflow:auto;max-height:32rem;margin:.5rem 0}
.err{color:#b42318}
`;

// String.raw keeps the regex backslashes as written. The script must contain no backtick (it would end this
// template; "\x60" stands for one), no "${" and no "</" sequence.
const SCRIPT = String.raw`
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const METHODS = ["get", "put", "post", "patch", "delete", "options", "head", "trace"];
  // Shown first and in bold among a response's headers: the ones the API documents in prose.
  const KEY_HEADERS = ["x-request-id", "etag", "location", "allow", "retry-after", "idempotent-replayed"];
  let doc = {};

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "cls") el.className = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    add(el, children);
    return el;
  }
  function add(el, c) {
    if (c == null || c === false || c === "") return;
    if (Array.isArray(c)) c.forEach((x) => add(el, x));
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  const fill = (el, ...c) => {
    el.replaceChildren();
    add(el, c);
  };
  const json = (v) => JSON.stringify(v);
  const clip = (s, n) => (s.length > n ? s.slice(0, n - 1) + "\u2026" : s);

  // --- Mini-Markdown: paragraphs, "*"/"-" bullets, code spans, **bold**, [links](url). Text nodes only.
  const safeHref = (u) => !/^[a-z][a-z0-9+.-]*:/i.test(u) || /^(https?|mailto):/i.test(u);
  function inline(text, codeHref) {
    const out = [];
    const re = /\x60([^\x60]+)\x60|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^()\s]+)\)/g;
    let last = 0;
    let m;
    while ((m = re.exec(text))) {
      out.push(text.slice(last, m.index));
      if (m[1] != null) {
        const href = m.index === 0 && codeHref && codeHref(m[1]);
        out.push(href ? h("a", { href }, h("code", null, m[1])) : h("code", null, m[1]));
      } else if (m[2] != null) out.push(h("strong", null, m[2]));
      else out.push(safeHref(m[4]) ? h("a", { href: m[4] }, m[3]) : m[0]);
      last = re.lastIndex;
    }
    out.push(text.slice(last));
    return out;
  }
  function md(text, codeHref) {
    if (!text) return null;
    const box = h("div", { cls: "md" });
    for (const block of String(text).split(/\n[ \t]*\n/)) {
      let para = [];
      let list = null;
      const flush = () => {
        if (para.length) box.appendChild(h("p", null, inline(para.join(" "), codeHref)));
        para = [];
      };
      for (const line of block.split("\n")) {
        const item = /^\s*[*-]\s+(.*)$/.exec(line);
        if (item) {
          flush();
          if (!list) box.appendChild((list = h("ul")));
          list.appendChild(h("li", null, inline(item[1], codeHref)));
        } else if (list && /^\s+\S/.test(line)) add(list.lastChild, [" ", inline(line.trim(), codeHref)]);
        else {
          list = null;
          if (line.trim()) para.push(line.trim());
        }
      }
      flush();
    }
    return box;
  }
  // Error responses describe each code as a paragraph starting with it; that leading span links to its row.
  const problemLink = (code) => (/^[a-z][a-z0-9_]*$/.test(code) ? "/docs/problems#" + code : null);

  // --- References and schemas
  function lookup(ref) {
    if (typeof ref !== "string" || ref[0] !== "#") return undefined;
    let o = doc;
    for (const part of ref.slice(2).split("/")) {
      if (o == null) return undefined;
      o = o[decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return o;
  }
  function deref(o) {
    for (let i = 0; o && o.$ref && i < 20; i++) o = lookup(o.$ref);
    return o || {};
  }

  // A flat view of a schema: refs followed (their names kept in "seen" to stop recursion), allOf merged,
  // and null split out of "type: [x, null]" or "anyOf: [x, {type: null}]" into "nullable".
  function norm(schema, seen) {
    const outer = schema || {};
    const v = { s: outer, name: "", nullable: false, loop: false, seen, alts: null };
    while (v.s.$ref) {
      const name = v.s.$ref.split("/").pop();
      v.name = v.name || name;
      if (v.seen.includes(name)) {
        v.loop = true;
        v.s = {};
        return v;
      }
      v.seen = v.seen.concat(name);
      v.s = lookup(v.s.$ref) || {};
    }
    let s = v.s;
    if (Array.isArray(s.allOf)) {
      s = Object.assign({}, s, { allOf: undefined, properties: {}, required: [] });
      for (const part of v.s.allOf) {
        const p = norm(part, v.seen);
        v.seen = p.seen;
        Object.assign(s.properties, p.s.properties);
        s.required = s.required.concat(p.s.required || []);
        for (const k of Object.keys(p.s)) if (s[k] === undefined) s[k] = p.s[k];
      }
    }
    const alts = s.anyOf || s.oneOf;
    if (Array.isArray(alts)) {
      const rest = alts.filter((a) => !(a && a.type === "null"));
      if (rest.length < alts.length) v.nullable = true;
      if (rest.length === 1) {
        const inner = norm(rest[0], v.seen);
        Object.assign(v, { name: v.name || inner.name, seen: inner.seen, loop: inner.loop, alts: inner.alts });
        v.nullable = v.nullable || inner.nullable;
        s = Object.assign({}, inner.s, { description: s.description || inner.s.description });
        if (outer.example !== undefined) s.example = outer.example;
      } else v.alts = rest;
    }
    const types = [].concat(s.type || []);
    if (types.includes("null") && types.length > 1) v.nullable = true;
    if (s.nullable === true) v.nullable = true;
    v.types = types.filter((t) => t !== "null");
    v.s = s;
    v.desc = outer.description || s.description;
    v.ex = [outer.example, s.example, (s.examples || [])[0]].find((x) => x !== undefined);
    return v;
  }
  const isComplex = (s) => !!(s.properties || s.items || s.anyOf || s.oneOf || typeof s.additionalProperties === "object");

  function typeLabel(v) {
    if (v.loop) return v.name + " (recursive)";
    const s = v.s;
    let label;
    if (v.alts) label = v.alts.map((a) => short(norm(a, v.seen))).join(" | ");
    else if (v.name && !v.types.length) label = v.name;
    else if (v.name && (v.types[0] === "object" || s.properties)) label = v.name;
    else if (v.types[0] === "array" && s.items) label = "array of " + typeLabel(norm(s.items, v.seen));
    else label = v.types.join(" | ") || (s.properties ? "object" : s.enum ? typeof s.enum[0] : "any");
    return v.nullable ? label + " | null" : label;
  }
  // A variant of a union, with its constraints in brackets when it has no structure of its own.
  function short(v) {
    const f = isComplex(v.s) ? [] : facts(v.s);
    return typeLabel(v) + (f.length ? " (" + f.join(", ") + ")" : "");
  }
  function range(out, what, lo, hi) {
    if (lo != null && hi != null) out.push(what + (lo === hi ? lo : lo + "\u2013" + hi));
    else if (lo != null) out.push(what + "\u2265 " + lo);
    else if (hi != null) out.push(what + "\u2264 " + hi);
  }
  function facts(s) {
    const out = [];
    range(out, "length ", s.minLength, s.maxLength);
    range(out, "", s.minimum, s.maximum);
    range(out, "items ", s.minItems, s.maxItems);
    range(out, "keys ", s.minProperties, s.maxProperties);
    if (s.exclusiveMinimum != null) out.push("> " + s.exclusiveMinimum);
    if (s.exclusiveMaximum != null) out.push("< " + s.exclusiveMaximum);
    if (s.multipleOf != null) out.push("multiple of " + s.multipleOf);
    if (s.format) out.push("format: " + s.format);
    if (s.pattern) out.push("pattern: " + s.pattern);
    if (s.uniqueItems) out.push("unique items");
    if (Array.isArray(s.enum)) out.push((s.enum.length === 1 ? "always " : "one of ") + s.enum.map(json).join(", "));
    if (s.const !== undefined) out.push("always " + json(s.const));
    if (s.default !== undefined) out.push("default " + json(s.default));
    if (s.additionalProperties === false) out.push("no other properties");
    if (s.deprecated) out.push("deprecated");
    if (s.readOnly) out.push("read-only");
    if (s.writeOnly) out.push("write-only");
    return out;
  }
  function typeInfo(v, withDesc) {
    const chips = v.alts ? [] : facts(v.s);
    if (v.ex !== undefined) chips.push("e.g. " + clip(json(v.ex), 120));
    return [
      h("span", { cls: "t" }, typeLabel(v)),
      chips.map((c) => h("span", { cls: "c" }, c)),
      withDesc ? md(v.desc) : null,
    ];
  }
  function kids(v, depth) {
    const s = v.s;
    if (v.loop || depth > 12) return null;
    const rows = [];
    const req = s.required || [];
    for (const [k, p] of Object.entries(s.properties || {})) rows.push(prop(k, p, req.includes(k), v.seen, depth));
    if (typeof s.additionalProperties === "object") rows.push(prop("[key: string]", s.additionalProperties, false, v.seen, depth));
    if (s.items && isComplex(norm(s.items, v.seen).s)) rows.push(prop("[item]", s.items, false, v.seen, depth));
    if (v.alts && v.alts.some((a) => isComplex(norm(a, v.seen).s)))
      v.alts.forEach((a, i) => rows.push(prop("option " + (i + 1), a, false, v.seen, depth)));
    return rows.length ? h("ul", { cls: "tree" }, rows) : null;
  }
  function prop(name, schema, required, seen, depth) {
    const v = norm(schema, seen);
    return h(
      "li",
      null,
      h("div", { cls: "row" }, h("code", null, name), required ? h("span", { cls: "req" }, "required") : null, " ", typeInfo(v, true)),
      kids(v, depth + 1),
    );
  }
  function schemaView(schema) {
    const v = norm(schema, []);
    return h("div", { cls: "row" }, typeInfo(v, true), kids(v, 0));
  }

  // A request body to start from: examples where the schema has them, placeholders for required fields.
  function sample(schema, seen, depth) {
    const v = norm(schema, seen);
    if (v.ex !== undefined) return v.ex;
    const s = v.s;
    if (v.loop || depth > 8 || !s.properties) return undefined;
    const out = {};
    for (const [k, p] of Object.entries(s.properties)) {
      let x = sample(p, v.seen, depth + 1);
      if (x === undefined && (s.required || []).includes(k)) x = placeholder(norm(p, v.seen));
      if (x !== undefined) out[k] = x;
    }
    return out;
  }
  function placeholder(v) {
    const s = v.s;
    if (Array.isArray(s.enum)) return s.enum[0];
    if (s.const !== undefined) return s.const;
    const t = v.types[0];
    if (t === "string") return "string";
    if (t === "integer" || t === "number") return s.minimum != null ? s.minimum : 0;
    if (t === "boolean") return false;
    if (t === "array") return [];
    return t === "object" || s.properties ? {} : null;
  }

  // --- Credentials: one field per bearer scheme, kept in sessionStorage so they die with the tab.
  const tokens = {};
  const store = (name, value) => {
    try {
      if (value) sessionStorage.setItem("roster-docs:" + name, value);
      else sessionStorage.removeItem("roster-docs:" + name);
    } catch {}
  };
  const stored = (name) => {
    try {
      return sessionStorage.getItem("roster-docs:" + name) || "";
    } catch {
      return "";
    }
  };
  function authFields() {
    const schemes = (doc.components && doc.components.securitySchemes) || {};
    let names = Object.keys(schemes).filter((n) => {
      const s = deref(schemes[n]);
      return s.type === "http" && /^bearer$/i.test(s.scheme || "");
    });
    if (!names.length) names = ["bearerAuth"];
    return names.map((n) => {
      const input = h("input", { type: "password", autocomplete: "off", spellcheck: "false", placeholder: "Bearer token" });
      input.value = tokens[n] = stored(n);
      input.addEventListener("input", () => store(n, (tokens[n] = input.value.trim())));
      return h("label", null, h("strong", null, n), md(deref(schemes[n]).description), input);
    });
  }
  // The first alternative of the operation's security whose tokens are all filled in.
  function tokenFor(reqs) {
    for (const r of reqs) {
      const names = Object.keys(r);
      if (names.length && names.every((n) => tokens[n])) return tokens[names[0]];
    }
    return "";
  }

  // --- Operations
  function secView(reqs) {
    if (!reqs.length) return h("p", null, "None.");
    const schemes = (doc.components && doc.components.securitySchemes) || {};
    return reqs.map((r) =>
      h(
        "div",
        { cls: "md" },
        Object.keys(r).length ? null : "Optional.",
        Object.keys(r).map((n) => {
          const s = deref(schemes[n]);
          return [h("code", null, n), " ", [s.type, s.scheme].filter(Boolean).join(" "), s.description ? ": " : "", inline(s.description || "")];
        }),
      ),
    );
  }
  function paramTable(params) {
    return h(
      "table",
      null,
      h("thead", null, h("tr", null, ["Name", "In", "Schema", "Description"].map((t) => h("th", null, t)))),
      h(
        "tbody",
        null,
        params.map((p) => {
          const v = norm(p.schema, []);
          if (p.example !== undefined) v.ex = p.example;
          return h(
            "tr",
            null,
            h("td", null, h("code", null, p.name), p.required ? h("span", { cls: "req" }, "required") : null),
            h("td", null, p.in),
            h("td", null, typeInfo(v, false)),
            h("td", null, md(p.description || v.desc), p.deprecated ? "Deprecated." : null),
          );
        }),
      ),
    );
  }
  function contentView(content, open) {
    return Object.entries(content || {}).map(([type, media]) => {
      const name = norm(media.schema, []).name;
      return h(
        "details",
        { cls: "sch", open },
        h("summary", null, h("code", null, type), name ? " \u00b7 " + name : ""),
        media.schema ? schemaView(media.schema) : null,
      );
    });
  }
  function responsesView(responses) {
    return Object.entries(responses).map(([status, r]) => {
      r = deref(r);
      const headers = Object.entries(r.headers || {});
      const ok = status[0] === "2";
      return h(
        "div",
        { cls: "resp" },
        h("div", { cls: "rh" }, h("span", { cls: "st s" + status[0] }, status), md(r.description, ok ? null : problemLink)),
        headers.length
          ? h(
              "ul",
              { cls: "tree" },
              headers.map(([n, hd]) => {
                hd = deref(hd);
                return h("li", null, "Header ", h("code", null, n), " ", typeInfo(Object.assign(norm(hd.schema, []), { desc: hd.description }), true));
              }),
            )
          : null,
        contentView(r.content, ok),
      );
    });
  }

  function tryIt(method, path, params, body, security) {
    const inputs = params.map((p) => {
      const v = norm(p.schema, []);
      const ex = p.example !== undefined ? p.example : v.ex;
      const input = h("input", { spellcheck: "false", placeholder: ex === undefined ? "" : String(ex) });
      return { p, input, label: h("label", null, h("span", null, h("code", null, p.name), " " + p.in, p.required ? h("span", { cls: "req" }, "required") : null), input) };
    });
    let area = null;
    if (body) {
      const media = (body.content || {})["application/json"] || Object.values(body.content || {})[0] || {};
      const ex = media.example !== undefined ? media.example : sample(media.schema, [], 0);
      area = h("textarea", { spellcheck: "false", "aria-label": "Request body (JSON)" });
      area.value = ex === undefined ? "{}" : JSON.stringify(ex, null, 2);
      area.rows = Math.min(20, area.value.split("\n").length + 1);
    }
    const button = h("button", { type: "submit" }, "Send");
    const out = h("div", { cls: "out", "aria-live": "polite" });
    const form = h(
      "form",
      { cls: "try" },
      inputs.map((i) => i.label),
      area ? [h("div", null, "Body (JSON; leave empty to send none)"), area] : null,
      h("div", null, button),
      out,
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const missing = [];
      // Path params are encoded whole: alternative IDs may hold "/", "%", spaces.
      let url = path.replace(/\{([^}]+)\}/g, (all, name) => {
        const field = inputs.find((i) => i.p.in === "path" && i.p.name === name);
        const val = field ? field.input.value : "";
        if (!val) missing.push(name);
        return encodeURIComponent(val);
      });
      if (missing.length) return void fill(out, h("p", { cls: "err" }, "Fill in: " + missing.join(", ")));
      const query = new URLSearchParams();
      const headers = {};
      for (const { p, input } of inputs) {
        if (!input.value) continue;
        if (p.in === "query") query.append(p.name, input.value);
        if (p.in === "header") headers[p.name] = input.value;
      }
      if (query.toString()) url += "?" + query;
      const token = tokenFor(security);
      if (token) headers.Authorization = "Bearer " + token;
      const init = { method: method.toUpperCase(), headers, cache: "no-store" };
      if (area && area.value.trim()) {
        init.body = area.value;
        headers["Content-Type"] = "application/json";
      }
      button.disabled = true;
      fill(out, h("p", null, "Sending\u2026"));
      const started = performance.now();
      fetch(url, init)
        .then((res) => res.text().then((text) => showResponse(out, init.method + " " + url, res, text, started)))
        .catch((err) => fill(out, h("p", { cls: "err" }, "Request failed: " + err)))
        .finally(() => (button.disabled = false));
    });
    return form;
  }
  function showResponse(out, line, res, text, started) {
    const ms = Math.round(performance.now() - started);
    const names = [];
    res.headers.forEach((v, n) => names.push(n));
    const rank = (n) => (KEY_HEADERS.includes(n) ? KEY_HEADERS.indexOf(n) : 99);
    names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
    let pretty = text;
    let problem = null;
    try {
      const data = JSON.parse(text);
      pretty = JSON.stringify(data, null, 2);
      if (data && typeof data.type === "string" && data.type.startsWith("/docs/problems#")) problem = data;
    } catch {}
    fill(
      out,
      h("div", null, h("span", { cls: "st s" + String(res.status)[0] }, res.status + " " + res.statusText), h("code", null, line), " \u00b7 " + ms + " ms"),
      problem ? h("p", null, "Problem ", h("a", { href: problem.type }, h("code", null, String(problem.code || problem.type)))) : null,
      h("dl", null, names.map((n) => [h("dt", { cls: rank(n) < 99 ? "key" : null }, n), h("dd", null, res.headers.get(n))])),
      h("pre", null, pretty || "(empty body)"),
    );
  }

  function renderOp(method, path, op, pathItem, id) {
    const params = [];
    for (const p of [].concat(pathItem.parameters || [], op.parameters || []).map(deref)) {
      const at = params.findIndex((q) => q.name === p.name && q.in === p.in);
      if (at >= 0) params[at] = p;
      else params.push(p);
    }
    const body = op.requestBody ? deref(op.requestBody) : null;
    const security = op.security || doc.security || [];
    const sendable = params.filter((p) => p.in !== "cookie");
    return h(
      "details",
      { cls: "op", id },
      h("summary", null, h("span", { cls: "m m-" + method }, method.toUpperCase()), h("code", { cls: "path" }, path), h("span", { cls: "sum" }, op.summary || ""), op.deprecated ? h("span", { cls: "c" }, "deprecated") : null),
      h(
        "div",
        { cls: "body" },
        h("a", { cls: "perma", href: "#" + id }, "#" + id),
        md(op.description || pathItem.description),
        h("h4", null, "Authorization"),
        secView(security),
        params.length ? [h("h4", null, "Parameters"), paramTable(params)] : null,
        body ? [h("h4", null, "Request body" + (body.required ? "" : " (optional)")), md(body.description), contentView(body.content, true)] : null,
        h("h4", null, "Responses"),
        responsesView(op.responses || {}),
        h("h4", null, "Try it"),
        tryIt(method, path, sendable, body, security),
      ),
    );
  }

  function render() {
    const info = doc.info || {};
    document.title = (info.title || "API") + " reference";
    $("title").textContent = info.title || "API";
    $("version").textContent = info.version ? "v" + info.version : "";
    fill($("intro"), md(info.description) || "");
    // A form (never submitted) so browsers treat the password fields as credentials.
    const auth = h("form", null, h("h4", null, "Credentials (kept in this tab only)"), authFields());
    auth.addEventListener("submit", (e) => e.preventDefault());
    fill($("auth"), auth);

    // Group by first tag: declared tags first, then in order of appearance.
    const groups = new Map((doc.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
    const used = new Set();
    for (const [path, rawItem] of Object.entries(doc.paths || {})) {
      const item = deref(rawItem);
      for (const method of Object.keys(item).filter((k) => METHODS.includes(k))) {
        const op = item[method];
        const tag = (op.tags && op.tags[0]) || "Other";
        if (!groups.has(tag)) groups.set(tag, { tag: { name: tag }, ops: [] });
        let id = op.operationId || (method + "-" + path).replace(/[^A-Za-z0-9_]+/g, "-").replace(/^-+|-+$/g, "");
        for (let n = 2; used.has(id); n++) id = id.replace(/~\d+$/, "") + "~" + n;
        used.add(id);
        groups.get(tag).ops.push({ method, path, op, item, id });
      }
    }
    const main = $("ops");
    const nav = $("nav");
    const ops = [];
    fill(
      main,
      h(
        "div",
        { cls: "tools" },
        ["Expand all", "Collapse all"].map((label, i) => {
          const b = h("button", { type: "button", cls: "alt" }, label);
          b.addEventListener("click", () => ops.forEach((d) => (d.open = !i)));
          return b;
        }),
      ),
    );
    fill(nav);
    for (const { tag, ops: list } of groups.values()) {
      if (!list.length) continue;
      const sid = "tag-" + tag.name.replace(/[^A-Za-z0-9_]+/g, "-");
      nav.append(
        h("h3", null, h("a", { href: "#" + sid }, tag.name)),
        h("ul", null, list.map((o) => h("li", null, h("a", { href: "#" + o.id, title: o.path }, h("span", { cls: "m m-" + o.method }, o.method.toUpperCase()), o.op.summary || o.path)))),
      );
      const rendered = list.map((o) => renderOp(o.method, o.path, o.op, o.item, o.id));
      ops.push(...rendered);
      main.append(h("section", { id: sid }, h("h2", null, tag.name), md(tag.description), rendered));
    }
    reveal();
  }

  // Opens the operation named by the URL fragment, so shared links land on an expanded operation.
  function reveal() {
    let id = "";
    try {
      id = decodeURIComponent(location.hash.slice(1));
    } catch {}
    const el = id && document.getElementById(id);
    if (!el) return;
    if (el.tagName === "DETAILS") el.open = true;
    el.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);
  // Following a link to the fragment already in the URL fires no hashchange, yet its operation may be closed.
  document.addEventListener("click", (e) => {
    if (e.target instanceof Element && e.target.closest('a[href^="#"]')) setTimeout(reveal);
  });

  fetch("/v1/openapi.json", { headers: { Accept: "application/json" } })
    .then((res) =>
      res.text().then((text) => {
        let data = null;
        try {
          data = JSON.parse(text);
        } catch {}
        if (!res.ok || !data || !data.paths) {
          const detail = data && (data.detail || data.message);
          throw new Error(res.status + " " + res.statusText + (detail ? ": " + detail : ""));
        }
        doc = data;
        render();
      }),
    )
    .catch((err) => fill($("ops"), h("p", { cls: "err" }, "Could not load /v1/openapi.json (" + err.message + ").")));
})();
`;

// Indentation and whole-line comments are for readers of this file; the script has no multi-line strings,
// so dropping them changes nothing for the browser.
const compact = (code: string) => code.replace(/^\s*(\/\/.*)?\n/gm, "").replace(/^\s+/gm, "");

export function renderDocsPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1 id="title">API reference</h1><span id="version"></span>
<p class="links"><a href="/docs/problems">Problem codes</a><a href="/v1/openapi.json">OpenAPI document (JSON)</a></p>
<div id="intro"></div>
<div id="auth"></div>
</header>
<div class="layout">
<nav id="nav" aria-label="Operations"></nav>
<main id="ops"><p>Loading /v1/openapi.json…</p><noscript><p>This page needs JavaScript; the raw document is <a href="/v1/openapi.json">/v1/openapi.json</a>.</p></noscript></main>
</div>
<script>${compact(SCRIPT)}</script>
</body>
</html>`;
}
