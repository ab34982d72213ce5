// Interactive documentation for nntrace, built from /openapi.json with no dependencies.
// Everything is rendered with DOM calls and textContent, never innerHTML, so no text from
// the description or from a response can inject markup.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete"];

// ---- tiny DOM helpers ------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Paragraphs and `code` spans: the only markdown the description uses.
function prose(text) {
  const box = el("div", { class: "prose" });
  for (const para of String(text || "").trim().split(/\n\s*\n/)) {
    if (!para.trim()) continue;
    box.append(el("p", {}, inline(para)));
  }
  return box;
}

// Like JSON.stringify(value, null, 2), but short arrays of numbers or strings stay on one
// line, so weight matrices read as rows.
function pretty(value, indent = "") {
  if (Array.isArray(value)) {
    if (!value.length) return "[]";
    const flat = value.every((v) => v === null || typeof v !== "object");
    const inline = `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
    if (flat && inline.length <= 100) return inline;
    const inner = indent + "  ";
    return `[\n${value.map((v) => inner + pretty(v, inner)).join(",\n")}\n${indent}]`;
  }
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (!keys.length) return "{}";
    const inner = indent + "  ";
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${pretty(value[k], inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

// One line of text with `code` spans.
function inline(text) {
  const span = el("span");
  String(text || "").replace(/\s*\n\s*/g, " ").split(/(`[^`]+`)/).forEach((part) => {
    if (part.startsWith("`") && part.endsWith("`") && part.length > 1) span.append(el("code", {}, part.slice(1, -1)));
    else if (part) span.append(part);
  });
  return span;
}

// ---- the spec ----------------------------------------------------------------------------------

let SPEC = null;

function resolve(obj) {
  let seen = 0;
  while (obj && obj.$ref && seen++ < 20) {
    const parts = obj.$ref.replace(/^#\//, "").split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    obj = parts.reduce((node, key) => (node ? node[key] : undefined), SPEC);
  }
  return obj || {};
}

function refName(obj) {
  return obj && obj.$ref ? obj.$ref.split("/").pop() : null;
}

function operations() {
  const ops = [];
  for (const [path, item] of Object.entries(SPEC.paths || {})) {
    const shared = item.parameters || [];
    for (const method of METHODS) {
      if (!item[method]) continue;
      const op = item[method];
      const params = [...shared, ...(op.parameters || [])].map(resolve);
      ops.push({ path, method, op, params, id: op.operationId || `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, "-") });
    }
  }
  return ops;
}

function byTag(ops) {
  const groups = new Map((SPEC.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
  for (const entry of ops) {
    const name = (entry.op.tags || ["other"])[0];
    if (!groups.has(name)) groups.set(name, { tag: { name }, ops: [] });
    groups.get(name).ops.push(entry);
  }
  return [...groups.values()].filter((g) => g.ops.length);
}

// ---- schemas -----------------------------------------------------------------------------------

function typeLabel(schema) {
  const name = refName(schema);
  const s = resolve(schema);
  if (name) return name;
  if (s.anyOf || s.oneOf) return (s.anyOf || s.oneOf).map(typeLabel).join(" | ");
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.type === "array") return `${typeLabel(s.items || {})}[]`;
  if (Array.isArray(s.type)) return s.type.join(" | ");
  return s.type || (s.properties ? "object" : "any");
}

function constraints(s) {
  const bits = [];
  if (s.default !== undefined) bits.push(`default ${JSON.stringify(s.default)}`);
  if (s.minimum !== undefined) bits.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) bits.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) bits.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) bits.push(`min length ${s.minLength}`);
  if (s.maxLength !== undefined) bits.push(`max length ${s.maxLength}`);
  if (s.minItems !== undefined) bits.push(`min items ${s.minItems}`);
  return bits;
}

// A collapsible tree of a schema's properties; refs open lazily so cycles cannot loop.
function schemaTree(schema, depth = 0) {
  const s = resolve(schema);
  const box = el("div", { class: "schema" });
  if (s.description && depth === 0) box.append(prose(s.description));
  const variants = s.anyOf || s.oneOf;
  if (variants && !s.properties) {
    const list = el("ul", { class: "variants" });
    for (const v of variants) list.append(el("li", {}, schemaRow("one of", v, false, depth)));
    box.append(list);
    return box;
  }
  if (s.type === "array" && s.items && !s.properties) {
    box.append(schemaRow("items", s.items, false, depth));
    return box;
  }
  const required = new Set(s.required || []);
  const props = Object.entries(s.properties || {});
  if (!props.length) {
    box.append(el("p", { class: "muted" }, typeLabel(schema), s.additionalProperties ? " (free-form object)" : ""));
    return box;
  }
  for (const [name, prop] of props) box.append(schemaRow(name, prop, required.has(name), depth));
  return box;
}

function expandable(schema) {
  const s = resolve(schema);
  if (s.properties || s.anyOf || s.oneOf) return true;
  if (s.type === "array" && s.items) return expandable(s.items);
  return false;
}

function schemaRow(name, prop, isRequired, depth) {
  const s = resolve(prop);
  const head = el(
    "span",
    { class: "prop" },
    el("span", { class: "prop-name" }, name),
    isRequired ? el("span", { class: "required", title: "required" }, "*") : null,
    el("span", { class: "prop-type" }, typeLabel(prop)),
    constraints(s).map((c) => el("span", { class: "constraint" }, c)),
  );
  const description = s.description || prop.description;
  const body = description ? el("div", { class: "prop-desc" }, inline(description)) : null;
  if (!expandable(prop) || depth > 8) return el("div", { class: "prop-row" }, head, body);
  const details = el("details", { class: "prop-row" }, el("summary", {}, head), body);
  details.addEventListener("toggle", () => {
    if (details.open && !details.dataset.filled) {
      details.dataset.filled = "1";
      details.append(schemaTree(s.type === "array" && s.items && !s.properties ? s.items : prop, depth + 1));
    }
  }, { once: false });
  return details;
}

// ---- operations --------------------------------------------------------------------------------

function bodyExample(op) {
  const content = (resolve(op.requestBody || {}).content || {})["application/json"];
  if (!content) return null;
  if (content.example !== undefined) return content.example;
  const first = Object.values(content.examples || {})[0];
  if (first) return resolve(first).value;
  return {};
}

function renderOperation(entry) {
  const { path, method, op, params, id } = entry;
  const card = el("details", { class: `op op-${method}`, id });
  card.append(
    el(
      "summary",
      {},
      el("span", { class: `method method-${method}` }, method.toUpperCase()),
      el("code", { class: "path" }, path),
      el("span", { class: "summary" }, op.summary || ""),
    ),
  );
  const inner = el("div", { class: "op-body" });
  if (op.description) inner.append(prose(op.description));
  if (params.length) inner.append(el("h4", {}, "Parameters"), paramTable(params));
  const body = resolve(op.requestBody || {});
  const jsonBody = (body.content || {})["application/json"];
  if (jsonBody) {
    inner.append(el("h4", {}, "Request body ", el("span", { class: "muted" }, "application/json")));
    inner.append(el("details", { class: "schema-box" }, el("summary", {}, typeLabel(jsonBody.schema)), schemaTree(jsonBody.schema)));
  }
  inner.append(el("h4", {}, "Responses"), responseList(op.responses || {}));
  inner.append(tryIt(entry));
  card.append(inner);
  card.addEventListener("toggle", () => {
    if (card.open && location.hash !== `#${id}`) history.replaceState(null, "", `#${id}`);
  });
  return card;
}

function paramTable(params) {
  const rows = params.map((p) => {
    const s = resolve(p.schema || {});
    return el(
      "tr",
      {},
      el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "required" }, "*") : null),
      el("td", {}, p.in),
      el("td", {}, typeLabel(p.schema || {}), " ", constraints(s).map((c) => el("span", { class: "constraint" }, c))),
      el("td", {}, inline(p.description || "")),
    );
  });
  return el("table", { class: "params" }, el("thead", {}, el("tr", {}, ["Name", "In", "Type", "Description"].map((h) => el("th", {}, h)))), el("tbody", {}, rows));
}

function responseList(responses) {
  const list = el("div", { class: "responses" });
  for (const [status, raw] of Object.entries(responses)) {
    const r = resolve(raw);
    const [type, media] = Object.entries(r.content || {})[0] || [];
    const row = el("details", { class: "response" });
    row.append(
      el(
        "summary",
        {},
        el("span", { class: `status status-${String(status)[0]}` }, status),
        inline(r.description || ""),
        type ? el("span", { class: "muted media" }, type) : null,
      ),
    );
    if (media && media.schema) row.append(schemaTree(media.schema));
    list.append(row);
  }
  return list;
}

// ---- try it --------------------------------------------------------------------------------------

function tryIt(entry) {
  const { path, method, op, params } = entry;
  const panel = el("div", { class: "try" });
  panel.append(el("h4", {}, "Try it"));
  const inputs = {};
  const fields = el("div", { class: "fields" });
  for (const p of params) {
    if (p.in !== "path" && p.in !== "query") continue;
    const s = resolve(p.schema || {});
    const value = p.example !== undefined ? p.example : p.in === "path" && s.default !== undefined ? s.default : "";
    const placeholder = s.default !== undefined ? String(s.default) : p.in === "path" ? p.name : "";
    const input = el("input", { type: "text", value: String(value), placeholder, "data-param": p.name, "aria-label": p.name });
    inputs[p.name] = { input, where: p.in };
    fields.append(el("label", {}, el("span", {}, `${p.name} `, el("span", { class: "muted" }, `(${p.in})`)), input));
  }
  if (fields.childNodes.length) panel.append(fields);
  const example = bodyExample(op);
  let editor = null;
  if (example !== null) {
    editor = el("textarea", { class: "body-editor", spellcheck: "false", "aria-label": "Request body (JSON)", rows: "12" });
    editor.value = pretty(example);
    editor.rows = Math.min(Math.max(editor.value.split("\n").length, 4), 24);
    editor.addEventListener("input", () => editor.classList.remove("invalid"));
    panel.append(el("label", { class: "editor-label" }, "Body (JSON, editable)"), editor);
  }
  const result = el("div", { class: "result", hidden: true });
  const curl = el("pre", { class: "curl", hidden: true });
  const send = el("button", { type: "button", class: "send" }, "Send");
  const reset = example !== null ? el("button", { type: "button", class: "secondary" }, "Reset body") : null;
  const showCurl = el("button", { type: "button", class: "secondary" }, "curl");
  send.addEventListener("click", () => execute(entry, inputs, editor, result, send));
  if (reset) reset.addEventListener("click", () => { editor.value = pretty(example); editor.classList.remove("invalid"); });
  showCurl.addEventListener("click", () => {
    curl.hidden = !curl.hidden;
    curl.textContent = curlCommand(method, buildUrl(path, inputs), editor ? editor.value : null);
  });
  panel.append(el("div", { class: "actions" }, send, reset, showCurl), curl, result);
  return panel;
}

function buildUrl(path, inputs) {
  let url = path;
  const query = new URLSearchParams();
  for (const [name, { input, where }] of Object.entries(inputs)) {
    const value = input.value.trim();
    if (where === "path") url = url.replace(`{${name}}`, encodeURIComponent(value || name));
    else if (value !== "") query.append(name, value);
  }
  const qs = query.toString();
  return qs ? `${url}?${qs}` : url;
}

function curlCommand(method, url, body) {
  const full = new URL(url, location.origin).toString();
  let text = `curl -sS -X ${method.toUpperCase()} '${full}'`;
  if (body !== null) {
    let compact = body;
    try { compact = JSON.stringify(JSON.parse(body)); } catch (_) { /* send as typed */ }
    text += ` \\\n  -H 'Content-Type: application/json' \\\n  -d '${compact.replace(/'/g, "'\\''")}'`;
  }
  return text;
}

async function execute(entry, inputs, editor, result, button) {
  const init = { method: entry.method.toUpperCase(), headers: {} };
  if (editor) {
    init.headers["Content-Type"] = "application/json";
    init.body = editor.value;
    try { JSON.parse(editor.value); } catch (e) { editor.classList.add("invalid"); }
  }
  button.disabled = true;
  result.hidden = false;
  result.replaceChildren(el("p", { class: "muted" }, "Sending…"));
  try {
    const response = await fetch(buildUrl(entry.path, inputs), init);
    const text = await response.text();
    result.replaceChildren(...renderResponse(response, text));
  } catch (error) {
    result.replaceChildren(el("p", { class: "error" }, `The request failed: ${error}`));
  } finally {
    button.disabled = false;
  }
}

function renderResponse(response, text) {
  const type = response.headers.get("Content-Type") || "";
  let shown = text;
  let parsed = null;
  if (/json/.test(type)) {
    try { parsed = JSON.parse(text); shown = pretty(parsed); } catch (_) { /* show as received */ }
  }
  const headers = [...response.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n");
  const lines = parsed && Array.isArray(parsed.nodes) ? parsed.nodes.map((n) => n.calculation).filter(Boolean) : [];
  return [
    el(
      "div",
      { class: "result-head" },
      el("span", { class: `status status-${String(response.status)[0]}`, "data-status": response.status }, response.status),
      el("span", {}, response.statusText),
      el("span", { class: "muted media" }, type),
    ),
    el("details", { class: "result-headers" }, el("summary", {}, "Headers"), el("pre", {}, headers)),
    lines.length ? el("div", { class: "calculations" }, el("h5", {}, "Node calculations"), el("pre", { class: "calc" }, lines.join("\n"))) : "",
    el("pre", { class: "result-body" }, shown),
  ];
}

// ---- the activation catalog -------------------------------------------------------------------

async function renderCatalog() {
  const section = document.getElementById("catalog");
  const list = document.getElementById("catalog-list");
  let entries;
  try {
    const response = await fetch("/v1/activations");
    entries = (await response.json()).activations || [];
  } catch (_) {
    return;
  }
  for (const a of entries) list.append(activationCard(a));
  section.hidden = false;
  document.getElementById("catalog-filter").addEventListener("input", (event) => {
    const needle = event.target.value.trim().toLowerCase();
    for (const card of list.children) card.hidden = needle && !card.dataset.search.includes(needle);
  });
}

function range(a) {
  // A bracket where the bound is reached ([0, ∞) for relu), a parenthesis where it is not.
  const [lo, hi] = a.output_range || [null, null];
  const [loIn, hiIn] = a.output_range_closed || [false, false];
  const left = lo === null ? "(−∞" : `${loIn ? "[" : "("}${lo}`;
  const right = hi === null ? "∞)" : `${hi}${hiIn ? "]" : ")"}`;
  return `${left}, ${right}`;
}

function activationCard(a) {
  const card = el("details", { class: "activation", "data-search": [a.name, ...(a.aliases || []), a.description].join(" ").toLowerCase() });
  card.append(
    el(
      "summary",
      {},
      el("span", { class: "act-name" }, a.name),
      (a.aliases || []).length ? el("span", { class: "muted" }, ` also ${a.aliases.join(", ")}`) : null,
      el("span", { class: `kind kind-${a.kind}` }, a.kind === "axis" ? "across the layer" : "per node"),
    ),
  );
  const body = el("div", { class: "act-body" });
  body.append(el("p", {}, a.description));
  body.append(el("dl", {},
    el("dt", {}, "f(x)"), el("dd", {}, el("code", {}, a.formula)),
    el("dt", {}, "f′(x)"), el("dd", {}, el("code", {}, a.derivative_formula)),
    el("dt", {}, "range"), el("dd", {}, range(a)),
  ));
  if ((a.parameters || []).length) {
    body.append(el("table", { class: "params" },
      el("thead", {}, el("tr", {}, ["Parameter", "Default", "Bounds", "Description"].map((h) => el("th", {}, h)))),
      el("tbody", {}, a.parameters.map((p) => el("tr", {},
        el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "required" }, "*") : null),
        el("td", {}, p.required ? "required" : JSON.stringify(p.default)),
        el("td", {}, bounds(p)),
        el("td", {}, p.description))))));
  }
  for (const note of a.notes || []) body.append(el("p", { class: "note" }, note));
  const plot = el("div", { class: "plot" });
  body.append(plot);
  card.append(body);
  card.addEventListener("toggle", () => {
    if (card.open && !plot.dataset.filled) {
      plot.dataset.filled = "1";
      drawCurve(a, plot);
    }
  });
  return card;
}

function bounds(p) {
  const lo = p.minimum === null || p.minimum === undefined ? "" : `${p.minimum} ${p.exclusive_minimum ? "<" : "≤"} `;
  const hi = p.maximum === null || p.maximum === undefined ? "" : ` ≤ ${p.maximum}`;
  return lo || hi ? `${lo}${p.name}${hi}` : "any";
}

async function drawCurve(a, box) {
  if (a.halves_units || (a.parameters || []).some((p) => p.required)) {
    box.append(el("p", { class: "muted" }, "No single curve: evaluate it inside a network."));
    return;
  }
  const response = await fetch(`/v1/activations/${encodeURIComponent(a.name)}/curve?start=-4&stop=4&num=81`);
  if (!response.ok) {
    box.append(el("p", { class: "muted" }, `No curve (${response.status}).`));
    return;
  }
  const { x, y, dy } = await response.json();
  box.append(svgPlot(x, [{ values: y, cls: "line-y", label: "f(x)" }, { values: dy, cls: "line-dy", label: "f′(x)" }]));
}

function svgPlot(x, series) {
  const NS = "http://www.w3.org/2000/svg";
  const W = 360, H = 180, P = 24;
  const all = series.flatMap((s) => s.values);
  let lo = Math.min(...all, 0), hi = Math.max(...all, 1);
  if (hi - lo < 1e-9) hi = lo + 1;
  const sx = (v) => P + ((v - x[0]) / (x[x.length - 1] - x[0])) * (W - 2 * P);
  const sy = (v) => H - P - ((v - lo) / (hi - lo)) * (H - 2 * P);
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "curve");
  const line = (x1, y1, x2, y2, cls) => {
    const l = document.createElementNS(NS, "line");
    Object.entries({ x1, y1, x2, y2, class: cls }).forEach(([k, v]) => l.setAttribute(k, v));
    svg.append(l);
  };
  line(P, sy(0), W - P, sy(0), "axis");
  line(sx(0), P / 2, sx(0), H - P / 2, "axis");
  const text = (tx, ty, content, cls) => {
    const t = document.createElementNS(NS, "text");
    t.setAttribute("x", tx); t.setAttribute("y", ty); t.setAttribute("class", cls);
    t.textContent = content;
    svg.append(t);
  };
  text(W - P, sy(0) - 4, String(x[x.length - 1]), "tick end");
  text(P, sy(0) - 4, String(x[0]), "tick");
  text(sx(0) + 4, sy(hi) + 10, hi.toPrecision(3), "tick");
  series.forEach((s, i) => {
    const path = document.createElementNS(NS, "polyline");
    path.setAttribute("points", s.values.map((v, j) => `${sx(x[j]).toFixed(1)},${sy(v).toFixed(1)}`).join(" "));
    path.setAttribute("class", s.cls);
    svg.append(path);
    text(P + 4 + i * 60, 14, s.label, `legend ${s.cls}`);
  });
  return svg;
}

// ---- page --------------------------------------------------------------------------------------

function renderIntro() {
  const info = SPEC.info || {};
  document.getElementById("title").textContent = `${info.title || "API"} API`;
  document.getElementById("version").textContent = info.version ? `v${info.version}` : "";
  document.title = `${info.title || "API"} API docs`;
  const intro = document.getElementById("intro");
  intro.replaceChildren(el("h1", {}, info.summary || info.title || "API"), prose(info.description));
}

function renderOperations(groups) {
  const main = document.getElementById("operations");
  const side = document.getElementById("sidebar");
  for (const { tag, ops } of groups) {
    const section = el("section", { class: "tag", id: `tag-${tag.name}` }, el("h2", {}, tag.name));
    if (tag.description) section.append(el("p", { class: "muted" }, inline(tag.description)));
    const nav = el("ul", {});
    for (const entry of ops) {
      section.append(renderOperation(entry));
      nav.append(el("li", {}, el("a", { href: `#${entry.id}`, onclick: () => openOperation(entry.id) },
        el("span", { class: `method method-${entry.method} small` }, entry.method.toUpperCase()),
        el("span", {}, entry.path.split("/").flatMap((seg, i) => (i ? [el("wbr"), `/${seg}`] : [seg]))))));
    }
    main.append(section);
    side.append(el("h3", {}, tag.name), nav);
  }
  side.append(el("h3", {}, "catalog"), el("ul", {}, el("li", {}, el("a", { href: "#catalog" }, "Activations"))));
}

function openOperation(id) {
  const card = document.getElementById(id);
  if (card && card.tagName === "DETAILS") card.open = true;
}

async function main() {
  try {
    const response = await fetch("/openapi.json");
    if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
    SPEC = await response.json();
  } catch (error) {
    document.getElementById("intro").replaceChildren(el("p", { class: "error" }, `Could not load the API description: ${error.message}`));
    return;
  }
  renderIntro();
  renderOperations(byTag(operations()));
  if (location.hash) openOperation(location.hash.slice(1));
  window.addEventListener("hashchange", () => openOperation(location.hash.slice(1)));
  document.body.dataset.ready = "1";
  renderCatalog();
}

document.addEventListener("DOMContentLoaded", main);
