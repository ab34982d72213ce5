// The editor: input fields and sliders, each layer's activation (the whole catalog, grouped,
// with its parameters, or a formula), weights and biases, and buttons that change the shape.
// Fields carry data-pointer (a JSON pointer into the request body), so a problem from the
// API is shown next to the field it points at.

import { el } from "./dom.js";
import { addInput, addLayer, addNode, layerName, removeInput, removeLayer, removeNode } from "./state.js";

const FORMULA = "__formula__";
const MAX_EDITABLE_WEIGHTS = 400;
const SLIDER_RANGE = 5;

// Presentation only: which heading an activation is listed under. Names the catalog has
// and this table does not go under "Other", so a new activation still appears.
const GROUPS = [
  ["classic", ["sigmoid", "tanh", "relu", "linear"]],
  ["reluFamily", ["leaky_relu", "relu6", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "squareplus", "sparse_plus", "hard_silu"]],
  ["sigmoidFamily", ["hard_sigmoid", "sparse_sigmoid", "log_sigmoid", "softsign", "hard_tanh", "tanh_shrink", "exponential"]],
  ["shrink", ["soft_shrink", "hard_shrink", "threshold"]],
  ["acrossLayer", ["softmax", "log_softmax", "sparsemax", "glu"]],
];

let shared = null;

function number(value) {
  if (typeof value !== "string" || !value.trim()) return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

function numberField(id, label, value, pointer, onNumber, extra = {}) {
  const input = el("input", { id, type: "number", step: "any", value: String(value), "aria-label": label, "data-pointer": pointer, class: "num", ...extra });
  input.addEventListener("input", () => {
    const parsed = number(input.value);
    if (parsed !== null) onNumber(parsed);
  });
  return input;
}

export function buildEditor(options) {
  shared = options;
  const focused = document.activeElement && document.activeElement.id;
  buildInputs(options);
  buildLayers(options);
  if (focused) {
    const again = document.getElementById(focused);
    if (again && again !== document.activeElement) again.focus();
  }
}

function buildInputs({ state, t, inputsBox, onValue, onShape }) {
  const row = state.inputs[state.sample];
  const fields = row.map((value, i) => {
    const field = numberField(`in-${i}`, t("inputN", { i }), value, `/inputs/${state.sample}/${i}`, (v) => {
      row[i] = v;
      slider.value = String(v);
      onValue();
    });
    const slider = el("input", { type: "range", id: `in-${i}-slider`, min: String(-SLIDER_RANGE), max: String(SLIDER_RANGE), step: "0.1", value: String(value), "aria-label": t("inputSlider", { i }) });
    slider.addEventListener("input", () => {
      row[i] = Number(slider.value);
      field.value = slider.value;
      onValue();
    });
    return el("div", { class: "input-row" }, el("label", { for: `in-${i}` }, t("inputN", { i })), field, slider);
  });
  inputsBox.replaceChildren(
    el("h3", {}, t("inputsHeading", { n: state.sample })),
    el("div", { class: "inputs-grid" }, ...fields),
    el("div", { class: "buttons" },
      el("button", { type: "button", onclick: () => { addInput(state); onShape(); } }, t("addInput")),
      el("button", { type: "button", onclick: () => { if (removeInput(state)) onShape(); } }, t("removeInput")),
      el("button", { type: "button", onclick: () => { state.inputs.push(state.inputs[state.sample].slice()); state.sample = state.inputs.length - 1; onShape(); } }, t("addSample"))),
  );
}

function canonicalName(catalog, name) {
  if (catalog.has(name)) return name;
  for (const entry of catalog.values()) if (entry.aliases.includes(name)) return entry.name;
  return name;
}

function activationSelect(index, spec, { catalog, t }) {
  const name = layerName(shared.state.network, index);
  const chosen = typeof spec === "string" ? canonicalName(catalog, spec) : spec && spec.expression !== undefined ? FORMULA : canonicalName(catalog, (spec && spec.name) || "linear");
  const select = el("select", { id: `act-${index}`, "data-pointer": `/network/layers/${index}/activation` });
  const listed = new Set();
  for (const [group, names] of GROUPS) {
    const present = names.filter((n) => catalog.has(n));
    present.forEach((n) => listed.add(n));
    if (present.length) select.append(el("optgroup", { label: t(`group.${group}`) }, ...present.map((n) => option(catalog.get(n)))));
  }
  const rest = [...catalog.keys()].filter((n) => !listed.has(n));
  if (rest.length) select.append(el("optgroup", { label: t("group.other") }, ...rest.map((n) => option(catalog.get(n)))));
  if (chosen !== FORMULA && !catalog.has(chosen)) select.append(el("option", { value: chosen }, chosen));
  select.append(el("optgroup", { label: t("group.custom") }, el("option", { value: FORMULA }, t("formulaOption"))));
  select.value = chosen;
  select.addEventListener("change", () => {
    const layer = shared.state.network.layers[index];
    layer.activation = select.value === FORMULA ? { expression: "x * sigmoid(x)" } : select.value;
    shared.onShape();
  });
  return el("div", { class: "field" }, el("label", { for: `act-${index}` }, t("activationOfLayerLabel", { layer: name })), select);
}

function option(entry) {
  const defaults = entry.parameters.filter((p) => !p.required && p.default !== null).map((p) => `${p.name}=${p.default}`);
  const label = defaults.length ? `${entry.name} (${defaults.join(", ")})` : entry.name;
  return el("option", { value: entry.name }, label);
}

function parameterFields(index, spec, { catalog, t, onValue }) {
  if (typeof spec !== "string" && spec && spec.expression !== undefined) return formulaField(index, spec, { t, onValue });
  const name = canonicalName(catalog, typeof spec === "string" ? spec : (spec && spec.name) || "linear");
  const entry = catalog.get(name);
  if (!entry || !entry.parameters.length) return null;
  const given = typeof spec === "string" ? {} : { ...spec };
  delete given.name;
  const layer = shared.state.network.layers[index];
  const layerLabel = layerName(shared.state.network, index);
  const update = (param, value) => {
    if (value === null) delete given[param];
    else given[param] = value;
    layer.activation = Object.keys(given).length ? { name, ...given } : name;
    onValue();
  };
  const fields = entry.parameters.map((p) => {
    const id = `p-${index}-${p.name}`;
    const label = t("paramLabel", { param: p.name, layer: layerLabel });
    const pointer = `/network/layers/${index}/activation/${p.name}`;
    let input;
    if (p.type === "boolean") {
      input = el("input", { id, type: "checkbox", "data-pointer": pointer });
      input.checked = Boolean(given[p.name] ?? p.default);
      input.addEventListener("change", () => update(p.name, input.checked));
    } else {
      const value = given[p.name] ?? (p.required ? 0 : p.default);
      if (p.required && given[p.name] === undefined) given[p.name] = 0;
      input = el("input", { id, type: "number", step: "any", class: "num", value: value === null ? "" : String(value), placeholder: p.default === null ? t("none") : String(p.default), "data-pointer": pointer });
      input.addEventListener("input", () => {
        if (!input.value.trim()) update(p.name, p.required ? 0 : null);
        else if (number(input.value) !== null) update(p.name, number(input.value));
      });
    }
    return el("div", { class: "field param" }, el("label", { for: id, title: p.description }, label), input);
  });
  if (Object.keys(given).length && typeof layer.activation === "string") layer.activation = { name, ...given };
  return el("div", { class: "params" }, ...fields);
}

function formulaField(index, spec, { t, onValue }) {
  const id = `f-${index}`;
  const layer = shared.state.network.layers[index];
  const input = el("input", { id, type: "text", class: "formula-input", value: spec.expression, spellcheck: "false", autocomplete: "off", "data-pointer": `/network/layers/${index}/activation/expression`, "aria-describedby": `${id}-help` });
  input.addEventListener("input", () => {
    layer.activation = { expression: input.value };
    onValue();
  });
  return el("div", { class: "field formula-field" },
    el("label", { for: id }, t("formulaLabel", { layer: layerName(shared.state.network, index) })),
    input,
    el("p", { id: `${id}-help`, class: "hint" }, t("formulaHelp")));
}

function weightsTable(index, layer, { state, t, onValue }) {
  const name = layerName(state.network, index);
  const prev = index === 0 ? "x" : layerName(state.network, index - 1);
  const fanIn = layer.weights[0] ? layer.weights[0].length : 0;
  if (layer.weights.length * fanIn > MAX_EDITABLE_WEIGHTS) {
    return el("p", { class: "hint" }, t("tooManyWeights", { n: layer.weights.length * fanIn }));
  }
  const head = el("tr", {}, el("td", {}), ...Array.from({ length: fanIn }, (_, i) => el("th", { scope: "col" }, `${prev}[${i}]`)), el("th", { scope: "col" }, t("col.bias")));
  const rows = layer.weights.map((row, j) => el("tr", {},
    el("th", { scope: "row" }, `${name}[${j}]`),
    ...row.map((w, i) => el("td", {}, numberField(`w-${index}-${j}-${i}`, t("weightLabel", { to: `${name}[${j}]`, from: `${prev}[${i}]` }), w, `/network/layers/${index}/weights/${j}/${i}`, (v) => { row[i] = v; onValue(); }))),
    el("td", {}, numberField(`b-${index}-${j}`, t("biasLabel", { to: `${name}[${j}]` }), layer.bias[j], `/network/layers/${index}/bias/${j}`, (v) => { layer.bias[j] = v; onValue(); }))));
  const small = layer.weights.length * fanIn <= 60;
  return el("details", { class: "weights", open: small },
    el("summary", {}, t("weightsOf", { layer: name, rows: layer.weights.length, cols: fanIn })),
    el("div", { class: "scroll", "data-pointer": `/network/layers/${index}/weights` }, el("table", { class: "weights-table" }, el("thead", {}, head), el("tbody", {}, ...rows))));
}

function buildLayers(options) {
  const { state, t, layersBox, onShape, onLayerFocus } = options;
  const blocks = state.network.layers.map((layer, index) => {
    const name = layerName(state.network, index);
    const block = el("fieldset", { class: "layer", "data-layer": String(index), "data-pointer": `/network/layers/${index}` },
      el("legend", {}, t("layerLegend", { layer: name, units: layer.weights.length })),
      activationSelect(index, layer.activation, options),
      parameterFields(index, layer.activation, options),
      weightsTable(index, layer, options),
      el("div", { class: "buttons" },
        el("button", { type: "button", id: `add-node-${index}`, onclick: () => { addNode(state.network, index); onShape(); } }, t("addNode", { layer: name })),
        el("button", { type: "button", id: `remove-node-${index}`, onclick: () => { if (removeNode(state.network, index, layer.weights.length - 1)) onShape(); } }, t("removeNode", { layer: name })),
        el("button", { type: "button", id: `remove-layer-${index}`, onclick: () => { if (removeLayer(state.network, index)) { state.layer = 0; onShape(); } } }, t("removeLayer", { layer: name }))));
    block.addEventListener("focusin", () => onLayerFocus(index));
    return block;
  });
  layersBox.replaceChildren(
    el("h3", {}, t("layersHeading")),
    ...blocks,
    el("div", { class: "buttons" }, el("button", { type: "button", id: "add-layer", onclick: () => { state.layer = addLayer(state.network); onShape(); } }, t("addLayer"))),
  );
}

// ---- problems next to their fields ---------------------------------------------------------

export function clearFieldErrors() {
  for (const node of document.querySelectorAll(".field-error")) node.remove();
  for (const node of document.querySelectorAll("[aria-invalid='true']")) {
    node.removeAttribute("aria-invalid");
    const described = (node.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.startsWith("err-"));
    if (described.length) node.setAttribute("aria-describedby", described.join(" "));
    else node.removeAttribute("aria-describedby");
  }
}

function fieldFor(pointer) {
  const fields = [...document.querySelectorAll("[data-pointer]")];
  let best = null;
  for (const field of fields) {
    const own = field.dataset.pointer;
    if (pointer === own || pointer.startsWith(`${own}/`)) {
      if (!best || own.length > best.dataset.pointer.length) best = field;
    }
  }
  return best;
}

// Shows each problem item next to the field it points at; returns those with no field.
export function showFieldErrors(items, t) {
  clearFieldErrors();
  const unplaced = [];
  items.forEach((item, n) => {
    const field = item.pointer ? fieldFor(item.pointer) : null;
    if (!field) {
      unplaced.push(item);
      return;
    }
    const id = `err-${n}`;
    const message = el("div", { id, class: "field-error" }, el("p", {}, item.detail));
    const column = /column (\d+)/.exec(item.detail || "");
    if (column && field.classList.contains("formula-input")) {
      const at = Number(column[1]) - 1;
      message.append(el("pre", { class: "caret", "aria-hidden": "true" }, `${field.value}\n${" ".repeat(Math.max(0, at))}^`));
      message.dataset.column = column[1];
    }
    const anchor = field.closest(".field") || field.closest("details") || field;
    anchor.after(message);
    if (!field.matches("input, select")) return;
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", [field.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
  });
  return unplaced;
}
