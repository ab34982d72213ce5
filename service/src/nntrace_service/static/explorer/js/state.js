// The page's state (a network in the API's own schema, the input samples, which sample is
// traced) and everything that changes its shape: presets, adding and removing layers and
// nodes, and the URL fragment that carries the whole state so a link reproduces the page.
// The fragment is base64url of the JSON {v, network, inputs, sample, layer, preset, lang};
// the Python client's Client.explore_url writes the same format.

const clone = (value) => JSON.parse(JSON.stringify(value));

// The lesson's exercise: three inputs, four hidden nodes, one output.
const EXERCISE = {
  input_size: 3,
  layers: [
    {
      name: "hidden",
      activation: "sigmoid",
      weights: [[0.5, -0.3, 0.8], [-0.6, 0.4, 0.2], [0.3, 0.9, -0.5], [-0.2, -0.7, 0.6]],
      bias: [0.1, -0.2, 0.05, 0.3],
    },
    { name: "output", activation: "linear", weights: [[0.7, -0.4, 0.6, 0.5]], bias: [-0.1] },
  ],
};
const EXERCISE_INPUTS = [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]];

function withHidden(activation) {
  const network = clone(EXERCISE);
  network.layers[0].activation = activation;
  return network;
}

// A deep chain of two-node layers: the gradient shrinks by sigmoid' ≤ 1/4 per layer.
function chain(activation, depth) {
  const layers = [];
  for (let index = 0; index < depth; index += 1) {
    layers.push({
      name: `h${index + 1}`,
      activation,
      weights: [[0.9, 0.4], [0.3, 0.8]],
      bias: [0.1, 0.05],
    });
  }
  layers.push({ name: "out", activation: "linear", weights: [[0.6, 0.7]], bias: [0.0] });
  return { input_size: 2, layers };
}

export const PRESETS = {
  "exercise-sigmoid": { network: withHidden("sigmoid"), inputs: EXERCISE_INPUTS, layer: 0 },
  "exercise-tanh": { network: withHidden("tanh"), inputs: EXERCISE_INPUTS, layer: 0 },
  "exercise-relu": { network: withHidden("relu"), inputs: EXERCISE_INPUTS, layer: 0 },
  "linear-collapses": {
    network: {
      input_size: 2,
      layers: [
        { name: "h1", activation: "linear", weights: [[1.0, -0.5], [0.25, 0.75], [-0.4, 0.6]], bias: [0.5, 0.0, -0.25] },
        { name: "h2", activation: "linear", weights: [[0.8, -0.2, 0.5], [0.1, 0.9, -0.3]], bias: [0.0, 0.2] },
        { name: "out", activation: "linear", weights: [[1.5, -1.0]], bias: [0.1] },
      ],
    },
    inputs: [[1.0, 2.0], [-0.5, 0.5]],
    layer: 0,
  },
  "vanishing-sigmoid": { network: chain("sigmoid", 8), inputs: [[1.0, 0.5]], layer: 0 },
  "vanishing-relu": { network: chain("relu", 8), inputs: [[1.0, 0.5]], layer: 0 },
  "any-function": {
    network: {
      input_size: 2,
      layers: [
        {
          name: "wave",
          activation: { expression: "sin(3 * x) + 0.5 * x" },
          weights: [[0.8, -0.6], [0.4, 0.9], [-0.7, 0.3]],
          bias: [0.1, -0.2, 0.3],
        },
        { name: "out", activation: { expression: "x * sigmoid(1.702 * x)" }, weights: [[0.9, -0.5, 0.7]], bias: [0.05] },
      ],
    },
    inputs: [[1.0, -0.5], [0.25, 2.0]],
    layer: 0,
  },
};

export const PRESET_ORDER = Object.keys(PRESETS);
export const DEFAULT_PRESET = "exercise-sigmoid";

export function presetState(name) {
  const preset = PRESETS[name] || PRESETS[DEFAULT_PRESET];
  return {
    network: clone(preset.network),
    inputs: clone(preset.inputs),
    sample: 0,
    layer: preset.layer,
    preset: PRESETS[name] ? name : DEFAULT_PRESET,
    lang: null,
  };
}

// ---- the URL fragment ------------------------------------------------------------------------

function toBase64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function encodeState(state) {
  const payload = { v: 1, network: state.network, inputs: state.inputs, sample: state.sample, layer: state.layer };
  if (state.preset) payload.preset = state.preset;
  if (state.lang) payload.lang = state.lang;
  return toBase64Url(JSON.stringify(payload));
}

// The state in a fragment ("#s=..."), or null when there is none or it does not parse.
export function decodeState(hash) {
  const match = /^#?s=([A-Za-z0-9_-]+)$/.exec(hash || "");
  if (!match) return null;
  let payload;
  try {
    payload = JSON.parse(fromBase64Url(match[1]));
  } catch {
    return null;
  }
  if (!payload || typeof payload !== "object" || !payload.network || typeof payload.network !== "object") return null;
  const inputs = Array.isArray(payload.inputs) ? payload.inputs : [];
  const rows = inputs.length && Array.isArray(inputs[0]) ? inputs : [inputs];
  const size = Number(payload.network.input_size) || 0;
  return {
    network: payload.network,
    inputs: rows.length && rows[0].length ? rows : [new Array(size).fill(0)],
    sample: Number.isInteger(payload.sample) && payload.sample >= 0 && payload.sample < rows.length ? payload.sample : 0,
    layer: Number.isInteger(payload.layer) ? payload.layer : 0,
    preset: typeof payload.preset === "string" ? payload.preset : null,
    lang: payload.lang === "ja" || payload.lang === "en" ? payload.lang : null,
  };
}

// ---- shape edits (sizes only: values come from the user or stay as they were) --------------

function layerInputSize(network, index) {
  return index === 0 ? network.input_size : network.layers[index - 1].weights.length;
}

// Resize every row of a layer's weights to `size` columns, padding with zeros.
function fitColumns(layer, size) {
  layer.weights = layer.weights.map((row) => (row.length >= size ? row.slice(0, size) : row.concat(new Array(size - row.length).fill(0))));
}

export function addNode(network, index) {
  const layer = network.layers[index];
  layer.weights.push(new Array(layerInputSize(network, index)).fill(0.1));
  layer.bias.push(0);
  const next = network.layers[index + 1];
  if (next) fitColumns(next, layer.weights.length);
}

export function removeNode(network, index, node) {
  const layer = network.layers[index];
  if (layer.weights.length <= 1) return false;
  layer.weights.splice(node, 1);
  layer.bias.splice(node, 1);
  const next = network.layers[index + 1];
  if (next) next.weights = next.weights.map((row) => row.filter((_, j) => j !== node));
  return true;
}

export function uniqueLayerName(network) {
  const taken = new Set(network.layers.map((l) => l.name));
  for (let n = network.layers.length; ; n += 1) if (!taken.has(`h${n}`)) return `h${n}`;
}

// A new hidden layer before the output layer, as wide as that layer's input, starting as
// the identity (so adding it changes nothing until it is edited or given an activation).
export function addLayer(network) {
  const at = Math.max(0, network.layers.length - 1);
  const size = layerInputSize(network, at);
  const weights = Array.from({ length: size }, (_, i) => Array.from({ length: size }, (__, j) => (i === j ? 1 : 0)));
  network.layers.splice(at, 0, { name: uniqueLayerName(network), activation: "linear", weights, bias: new Array(size).fill(0) });
  return at;
}

export function removeLayer(network, index) {
  if (network.layers.length <= 1) return false;
  const size = layerInputSize(network, index);
  network.layers.splice(index, 1);
  const next = network.layers[index];
  if (next) fitColumns(next, size);
  return true;
}

export function addInput(state) {
  state.network.input_size += 1;
  fitColumns(state.network.layers[0], state.network.input_size);
  state.inputs = state.inputs.map((row) => row.concat([0]));
}

export function removeInput(state) {
  if (state.network.input_size <= 1) return false;
  state.network.input_size -= 1;
  fitColumns(state.network.layers[0], state.network.input_size);
  state.inputs = state.inputs.map((row) => row.slice(0, state.network.input_size));
  return true;
}

// Layer names as the service fills them in (h1, h2, ... and out for the last layer), so
// labels match the trace even for a network uploaded without names.
export function layerName(network, index) {
  const given = network.layers[index].name;
  if (given) return given;
  return index === network.layers.length - 1 ? "out" : `h${index + 1}`;
}
