// The explorer: the lesson's interactive exercise on top of the nntrace API.
// State lives in `state` (and in the URL fragment); every value shown comes from the last
// API answer in `view`. Editing a value sends the network again; editing the shape (layers,
// nodes, activations) also rebuilds the editor. DOM is built with createElement and
// textContent only (no innerHTML, no inline styles), so the page runs under a strict CSP.

import { api, evaluateBody, Problem } from "./api.js";
import { drawDiagram, isCompact } from "./diagram.js";
import { buildEditor, showFieldErrors, clearFieldErrors } from "./editor.js";
import { exact, fmt } from "./format.js";
import { browserLanguage, currentLanguage, loadLanguage, t, translateDocument } from "./i18n.js";
import { drawCurve, drawGradients } from "./plot.js";
import { DEFAULT_PRESET, PRESET_ORDER, decodeState, encodeState, layerName, presetState } from "./state.js";
import { setupShare } from "./share.js";
import { el } from "./dom.js";

const PLAY_INTERVAL_MS = 900;
const CURVE_POINTS = 121;

let state = null;
const view = { result: null, summary: null, catalog: new Map(), step: 0, playing: null, problem: null };
let controller = null;
let sequence = 0;
const curves = new Map();

const $ = (id) => document.getElementById(id);

// ---- boot -------------------------------------------------------------------------------------

async function boot() {
  const shared = decodeState(location.hash);
  state = shared || presetState(DEFAULT_PRESET);
  // `?network=<id>` opens a stored network, unless the fragment already carries the state
  // (the page rewrites it on every change, so a reload keeps the edits made since).
  const storedId = shared ? null : new URLSearchParams(location.search).get("network");
  const [, catalog, stored] = await Promise.all([
    loadLanguage(state.lang || browserLanguage()),
    api.catalog(),
    storedId ? api.stored(storedId).catch((error) => error) : null,
  ]);
  for (const entry of catalog.activations) view.catalog.set(entry.name, entry);
  translateDocument();
  if (stored) openStored(storedId, stored);
  fillStaticSelects();
  wireControls();
  setupShare({ getState: () => state, onLoad: loadNetwork, t, status: $("share-status"), exportText: $("export-text") });
  rebuild();
  writeUrl();
  await refresh();
  document.body.dataset.ready = "1";
}

// A stored network opens as a shared link would, on one sample of zeros. One whose weights
// are hidden comes without its definition (the API never sends it), and one that cannot be
// read leaves the lesson in place: either way the page says why, above the lesson.
function openStored(id, answer) {
  const box = $("stored");
  let message;
  if (answer instanceof Problem) {
    message = answer.status === 404 ? t("storedMissing", { id }) : t("storedRefused", { id, status: answer.status, message: answer.message });
  } else if (answer instanceof Error) {
    message = t("storedError", { id, message: answer.message });
  } else if (!answer.network) {
    message = t("storedHidden", { name: answer.name || id });
  } else {
    const size = answer.network.input_size;
    state = { ...state, network: answer.network, inputs: [new Array(size).fill(0)], sample: 0, layer: 0, preset: null };
    message = t("storedOpened", { name: answer.name || id, owner: answer.owner, version: answer.version });
    box.classList.add("opened");
  }
  box.replaceChildren(el("p", {}, message));
  box.hidden = false;
}

function fillStaticSelects() {
  const preset = $("preset");
  preset.replaceChildren(...PRESET_ORDER.map((name) => el("option", { value: name }, t(`preset.${name}`))));
  preset.append(el("option", { value: "", disabled: true }, t("preset.custom")));
  preset.value = state.preset || "";
  $("lang").value = currentLanguage();
}

function fillSamples() {
  const select = $("sample");
  select.replaceChildren(...state.inputs.map((_, i) => el("option", { value: String(i) }, t("sampleN", { n: i }))));
  select.value = String(state.sample);
}

function wireControls() {
  $("play").addEventListener("click", togglePlay);
  $("step").addEventListener("click", step);
  $("reset").addEventListener("click", reset);
  $("sample").addEventListener("change", (e) => {
    state.sample = Number(e.target.value);
    rebuildInputs();
    changed();
  });
  $("preset").addEventListener("change", (e) => {
    const lang = state.lang;
    state = presetState(e.target.value);
    state.lang = lang;
    $("stored").hidden = true;
    reset();
    rebuild();
    changed();
  });
  $("lang").addEventListener("change", async (e) => {
    state.lang = e.target.value;
    await loadLanguage(state.lang);
    translateDocument();
    fillStaticSelects();
    rebuild();
    render();
    renderLinearity();
    renderActivation();
    writeUrl();
  });
  document.addEventListener("keydown", shortcut);
  window.addEventListener("hashchange", () => {
    const loaded = decodeState(location.hash);
    if (loaded && location.hash.slice(3) !== encodeState(state)) {
      state = loaded;
      reset();
      rebuild();
      changed();
    }
  });
}

function shortcut(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target && target.closest && target.closest("input, select, textarea, [contenteditable]")) return;
  const key = event.key.toLowerCase();
  const actions = { p: togglePlay, s: step, r: reset };
  if (actions[key]) {
    event.preventDefault();
    actions[key]();
  }
}

// ---- state changes --------------------------------------------------------------------------

function rebuild() {
  fillSamples();
  $("preset").value = state.preset || "";
  $("lesson").textContent = state.preset ? t(`lesson.${state.preset}`) : t("lesson.custom");
  buildEditor({
    state,
    catalog: view.catalog,
    t,
    inputsBox: $("inputs-editor"),
    layersBox: $("layers-editor"),
    onValue: changed,
    onShape: () => {
      markCustom();
      rebuild();
      changed();
    },
    onLayerFocus: (index) => {
      if (state.layer !== index) {
        state.layer = index;
        renderActivation();
      }
    },
  });
}

function rebuildInputs() {
  rebuild();
}

function markCustom() {
  if (state.preset) {
    state.preset = null;
    $("preset").value = "";
    $("lesson").textContent = t("lesson.custom");
  }
}

// A value changed (input, weight, bias, parameter): send the network again.
function changed(options = {}) {
  if (options.custom) markCustom();
  return refresh();
}

function writeUrl() {
  history.replaceState(null, "", `#s=${encodeState(state)}`);
}

async function refresh() {
  const mine = ++sequence;
  if (controller) controller.abort();
  controller = new AbortController();
  const signal = controller.signal;
  const body = evaluateBody(state.network, state.inputs, state.sample, true);
  document.body.dataset.pending = "1";
  // The diagram waits only for /evaluate, sent first; the linearity report (/validate)
  // follows, and the URL is rewritten while both are in flight.
  const evaluating = api.evaluate(body, signal);
  const validating = api.validate(state.network, signal).catch((error) => error);
  writeUrl();
  try {
    const result = await evaluating;
    if (mine !== sequence) return;
    view.result = result;
    view.problem = null;
    clearFieldErrors();
    $("alert").hidden = true;
    document.body.classList.remove("stale");
  } catch (error) {
    if (mine !== sequence || (error && error.name === "AbortError")) return;
    view.problem = error;
    view.summary = null;
    showProblem(error);
    renderActivationHead(shownLayer());
    document.body.classList.add("stale");
    document.body.dataset.pending = "0";
    return;
  }
  view.step = Math.min(view.step, traced().length);
  render();
  if (!performance.getEntriesByName("nntrace:first-render").length) performance.mark("nntrace:first-render");
  const validation = await validating;
  if (mine !== sequence) return;
  view.summary = validation instanceof Error ? null : validation.summary;
  renderLinearity();
  await renderActivation();
  if (mine === sequence) document.body.dataset.pending = "0";
}

function showProblem(error) {
  const box = $("alert");
  if (error instanceof Problem) {
    const unplaced = showFieldErrors(error.items, t);
    const lines = [t("problem", { status: error.status, title: error.body.title || "" }), error.message, ...unplaced.map((item) => `${item.pointer || "/"}: ${item.detail}`)];
    box.replaceChildren(...lines.filter(Boolean).map((line) => el("p", {}, line)));
  } else {
    box.replaceChildren(el("p", {}, t("networkError", { message: String(error && error.message) })));
  }
  box.hidden = false;
}

function loadNetwork(network, inputs) {
  const size = network.input_size;
  state.network = network;
  state.inputs = inputs && inputs.length ? inputs : [state.inputs[0] && state.inputs[0].length === size ? state.inputs[0] : new Array(size).fill(0)];
  state.sample = 0;
  state.layer = 0;
  markCustom();
  reset();
  rebuild();
  return changed();
}

// ---- stepping ------------------------------------------------------------------------------

function traced() {
  const nodes = (view.result && view.result.nodes) || [];
  return nodes.filter((node) => node.sample === state.sample);
}

function currentNode() {
  const nodes = traced();
  return view.step > 0 && view.step <= nodes.length ? nodes[view.step - 1] : null;
}

function step() {
  const nodes = traced();
  if (view.step >= nodes.length) {
    stopPlay();
    return;
  }
  view.step += 1;
  renderStep();
  if (view.step >= nodes.length) stopPlay();
}

function togglePlay() {
  if (view.playing) {
    stopPlay();
    return;
  }
  if (view.step >= traced().length) view.step = 0;
  view.playing = setInterval(step, PLAY_INTERVAL_MS);
  $("play").setAttribute("aria-pressed", "true");
  step();
}

function stopPlay() {
  if (view.playing) clearInterval(view.playing);
  view.playing = null;
  $("play").setAttribute("aria-pressed", "false");
}

function reset() {
  stopPlay();
  view.step = 0;
  if (view.result) renderStep();
}

// ---- rendering -----------------------------------------------------------------------------

function render() {
  const started = performance.now();
  renderStep(false);
  renderOutputs();
  renderTable();
  renderGradients();
  document.dispatchEvent(new CustomEvent("nntrace:rendered", { detail: { ms: performance.now() - started } }));
}

// What changes with each step: the diagram's highlight, the calculations, the curve's mark.
function renderStep(withActivation = true) {
  const node = currentNode();
  drawDiagram($("diagram"), {
    network: state.network,
    inputs: state.inputs,
    sample: state.sample,
    result: view.result,
    current: node ? { layer: node.layer, node: node.node } : null,
    t,
    inspect: (text) => ($("inspector").textContent = text),
    onEdge: (layer, node, input) => focusField(`w-${layer}-${node}-${input}`),
    onNode: (layer, node) => focusField(layer < 0 ? `in-${node}` : `b-${layer}-${node}`),
  });
  renderCalculations();
  if (withActivation) renderActivation();
}

function focusField(id) {
  const field = document.getElementById(id);
  if (!field) return;
  const details = field.closest("details");
  if (details) details.open = true;
  field.focus();
  field.select && field.select();
}

function renderCalculations() {
  const list = $("calc-list");
  const nodes = traced().slice(0, view.step);
  const items = nodes.map((node, index) => {
    const terms = node.terms.map((term) => `${exact(term.weight)}×${exact(term.input)}`).join(" + ");
    const detail = t("exactValues", { terms: terms || "0", bias: exact(node.bias), z: exact(node.z), a: exact(node.a) });
    const item = el(
      "li",
      { tabindex: "0", title: detail, "data-layer": String(node.layer), "data-node": String(node.node), class: index === nodes.length - 1 ? "latest" : null },
      el("code", { class: "calc" }, node.calculation),
      el("span", { class: "exact" }, detail),
    );
    return item;
  });
  list.replaceChildren(...items);
  const total = traced().length;
  list.dataset.total = String(total);
  if (!total && view.result) list.replaceChildren(el("li", { class: "muted" }, t("noTrace")));
  const last = list.lastElementChild;
  if (last && view.step > 0 && last.scrollIntoView) last.scrollIntoView({ block: "nearest" });
}

function renderOutputs() {
  const box = $("outputs");
  const row = view.result ? view.result.outputs[state.sample] : [];
  const name = layerName(state.network, state.network.layers.length - 1);
  box.replaceChildren(
    el("strong", {}, t("output")),
    " ",
    ...row.flatMap((value, i) => [el("span", { class: "out", "data-index": String(i), "data-value": exact(value), title: exact(value) }, `${name}[${i}] = ${fmt(value, 4)}`), " "]),
  );
}

function renderTable() {
  const box = $("node-table");
  const result = view.result;
  if (!result) return;
  const grads = result.layers;
  const head = el("tr", {}, ...["layer", "node", "bias", "z", "a", "gradient"].map((key) => el("th", { scope: "col" }, t(`col.${key}`))));
  const rows = [];
  state.inputs[state.sample].forEach((value, i) => rows.push(el("tr", {}, el("td", {}, t("inputs")), el("th", { scope: "row" }, `x[${i}]`), el("td", {}, "–"), el("td", {}, "–"), el("td", {}, exact(value)), el("td", {}, "–"))));
  const limit = 400;
  state.network.layers.forEach((layer, li) => {
    const values = grads[li];
    layer.bias.forEach((bias, j) => {
      if (rows.length > limit) return;
      rows.push(el("tr", {},
        el("td", {}, layerName(state.network, li)),
        el("th", { scope: "row" }, `${layerName(state.network, li)}[${j}]`),
        el("td", {}, exact(bias)),
        el("td", {}, exact(values.preactivations[state.sample][j])),
        el("td", {}, exact(values.activations[state.sample] ? values.activations[state.sample][j] : null)),
        el("td", {}, values.gradients ? exact(values.gradients[state.sample][j]) : "–")));
    });
  });
  const table = el("table", { class: "nodes-table" }, el("caption", {}, t("tableCaption")), el("thead", {}, head), el("tbody", {}, ...rows));
  box.replaceChildren(table);
}

function renderGradients() {
  const box = $("grad-chart");
  const result = view.result;
  if (!result || !result.gradients) {
    box.replaceChildren();
    return;
  }
  const values = result.gradients.mean_abs_gradient_by_layer;
  const names = state.network.layers.map((_, i) => layerName(state.network, i));
  const summary = t("gradSummary", { values: names.map((n, i) => `${n} ${values[i].toExponential(2)}`).join(", ") });
  drawGradients(box, values, names, { summary, scale: t("gradScale") });
  box.dataset.values = JSON.stringify(values);
}

function renderLinearity() {
  const box = $("linearity");
  const summary = view.summary;
  if (!summary) {
    box.replaceChildren();
    return;
  }
  const lin = summary.linearity;
  if (lin.is_linear && lin.equivalent_layer) {
    const eq = lin.equivalent_layer;
    const rows = eq.weights.map((row, j) => el("tr", {}, el("th", { scope: "row" }, `out[${j}]`), ...row.map((w) => el("td", {}, fmt(w, 4))), el("td", {}, fmt(eq.bias[j], 4))));
    const head = el("tr", {}, el("td", {}), ...eq.weights[0].map((_, i) => el("th", { scope: "col" }, `x[${i}]`)), el("th", { scope: "col" }, t("col.bias")));
    box.replaceChildren(
      el("p", { class: "verdict linear" }, t("linearYes", { layers: summary.layers.length })),
      el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": t("equivalentCaption") }, el("table", { id: "equivalent", class: "equivalent" }, el("caption", {}, t("equivalentCaption")), el("thead", {}, head), el("tbody", {}, ...rows))),
    );
  } else {
    const names = lin.nonlinear_layers.map((i) => layerName(state.network, i)).join(", ");
    box.replaceChildren(el("p", { class: "verdict" }, t("linearNo", { layers: names })));
  }
  box.dataset.linear = String(lin.is_linear);
}

// ---- activation panel --------------------------------------------------------------------

function activationOf(index) {
  const spec = state.network.layers[index] ? state.network.layers[index].activation : "linear";
  if (typeof spec === "string") return { name: spec, params: {} };
  if (spec && typeof spec.expression === "string") return { expression: spec.expression };
  const { name, ...params } = spec || {};
  return { name: name || "linear", params };
}

function canonical(name) {
  if (view.catalog.has(name)) return view.catalog.get(name);
  for (const entry of view.catalog.values()) if (entry.aliases.includes(name)) return entry;
  return null;
}

let activationToken = 0;

function shownLayer() {
  const node = currentNode();
  return node ? node.layer : Math.min(state.layer, state.network.layers.length - 1);
}

// The activation's name and formula, as the state says now: also called when the API
// refused the network, so a formula being typed is not shown as the last one accepted.
function renderActivationHead(index) {
  const act = activationOf(index);
  const entry = act.expression === undefined ? canonical(act.name) : null;
  $("act-name").textContent = t("activationOfLayer", { layer: layerName(state.network, index), activation: act.expression !== undefined ? act.expression : act.name });
  const summaryLayer = view.summary && view.summary.layers[index];
  const latex = entry ? entry.formula : summaryLayer && summaryLayer.formula;
  const dlatex = entry ? entry.derivative_formula : summaryLayer && summaryLayer.derivative_formula;
  renderFormula($("act-formula"), latex, dlatex, act.expression);
  return { act, entry };
}

async function renderActivation() {
  const token = ++activationToken;
  const node = currentNode();
  const index = shownLayer();
  const name = layerName(state.network, index);
  const layerValues = view.result && view.result.layers[index];
  const z = node ? node.z : layerValues ? layerValues.preactivations[state.sample][0] : null;
  const a = node ? node.a : layerValues && layerValues.activations[state.sample] ? layerValues.activations[state.sample][0] : null;
  const markName = node ? node.label : `${name}[0]`;
  const plotBox = $("act-plot");
  const note = $("act-note");
  const { act, entry } = renderActivationHead(index);
  note.textContent = entry && entry.description ? entry.description : "";
  if (entry && (entry.kind === "axis" || entry.halves_units)) {
    plotBox.replaceChildren();
    note.textContent = t("axisNote", { name: entry.name });
    return;
  }
  const start = Math.min(-6, Number.isFinite(z) ? Math.floor(z) - 1 : -6);
  const stop = Math.max(6, Number.isFinite(z) ? Math.ceil(z) + 1 : 6);
  const key = JSON.stringify([act, start, stop]);
  let curve = curves.get(key);
  if (!curve) {
    try {
      curve = act.expression !== undefined ? await expressionCurve(act.expression, start, stop) : await api.curve(act.name, act.params, start, stop, CURVE_POINTS);
    } catch (error) {
      plotBox.replaceChildren(el("p", { class: "muted" }, error.message));
      return;
    }
    curves.set(key, curve);
    if (curves.size > 50) curves.delete(curves.keys().next().value);
  }
  if (token !== activationToken) return;
  const shownName = act.expression !== undefined ? "f" : act.name;
  drawCurve(plotBox, curve, { z, a }, {
    summary: t("curveSummary", { name: shownName, start, stop, node: markName, z: fmt(z, 4), a: fmt(a, 4) }),
    function: t("curveFunction", { name: shownName }),
    derivative: t("curveDerivative", { name: shownName }),
  });
  plotBox.dataset.name = act.expression !== undefined ? "expression" : act.name;
  plotBox.dataset.z = exact(z);
}

// A formula has no /curve (it is not in the catalog): evaluate it as a one-node layer over
// a grid of inputs, asking the API for the derivative too.
async function expressionCurve(expression, start, stop) {
  const x = Array.from({ length: CURVE_POINTS }, (_, i) => start + ((stop - start) * i) / (CURVE_POINTS - 1));
  const network = { input_size: 1, layers: [{ name: "f", activation: { expression }, weights: [[1]], bias: [0] }] };
  const result = await api.evaluate({ network, inputs: x.map((v) => [v]), trace: "layers", gradients: true });
  const layer = result.layers[0];
  return { x: layer.preactivations.map((r) => r[0]), y: layer.activations.map((r) => r[0]), dy: layer.derivatives.map((r) => r[0]) };
}

function renderFormula(box, latex, dlatex, expression) {
  const rows = [];
  const math = (tex, fallback) => {
    const holder = el("div", { class: "math" });
    if (tex && window.temml) {
      try {
        window.temml.render(tex, holder, { displayMode: true, annotate: true, throwOnError: true });
        return holder;
      } catch {
        /* fall through to text */
      }
    }
    holder.append(el("code", {}, fallback || tex || ""));
    return holder;
  };
  if (latex) rows.push(math(`f(x) = ${latex}`));
  else if (expression !== undefined) rows.push(math(null, `f(x) = ${expression}`));
  if (dlatex) rows.push(math(`f'(x) = ${dlatex}`));
  box.replaceChildren(...rows);
}

boot().catch((error) => {
  const box = $("alert");
  box.replaceChildren(el("p", {}, `The explorer could not start: ${error && error.message}`));
  box.hidden = false;
  document.body.dataset.ready = "error";
});
