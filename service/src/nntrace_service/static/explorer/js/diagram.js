// The network as SVG: inputs -> layers -> outputs. Node fill follows the node's value (as
// the API returned it), edge colour the weight's sign (plus a dash for negative, so colour
// is never the only cue) and width its magnitude. Big networks get a compact layer view.
// Colours are CSS variables from the Okabe-Ito palette, so dark mode needs no JS.

import { layerName } from "./state.js";
import { fmt } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
export const MAX_DRAWN_EDGES = 3000;
export const MAX_DRAWN_UNITS = 48;
const FOCUSABLE_EDGES = 60;
const INTERACTIVE_EDGES = 400;
const FOCUSABLE_NODES = 60;

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function title(text) {
  const node = svg("title");
  node.textContent = text;
  return node;
}

// color-mix with CSS variables: the intensity is the only thing JS decides.
function fill(value, scale) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "var(--node-neutral)";
  const share = Math.round(Math.min(1, Math.abs(value) / (scale || 1)) * 85);
  const colour = value >= 0 ? "var(--pos)" : "var(--neg)";
  return `color-mix(in srgb, ${colour} ${share}%, var(--node-neutral))`;
}

export function isCompact(network) {
  let edges = 0;
  let widest = network.input_size;
  for (const layer of network.layers) {
    edges += layer.weights.length * (layer.weights[0] || []).length;
    widest = Math.max(widest, layer.weights.length);
  }
  return edges > MAX_DRAWN_EDGES || widest > MAX_DRAWN_UNITS;
}

// Columns of values: inputs, then each layer's activations for the traced sample.
function columns(network, inputs, result, sample) {
  const cols = [{ name: "x", values: inputs[sample] || [], z: null }];
  network.layers.forEach((layer, index) => {
    const found = result && result.layers && result.layers[index];
    const a = found ? found.activations[sample] : null;
    const z = found ? found.preactivations[sample] : null;
    const units = layer.weights.length;
    cols.push({
      name: layerName(network, index),
      values: a || new Array(units).fill(null),
      z: z || new Array(units).fill(null),
      units,
    });
  });
  return cols;
}

export function drawDiagram(box, ctx) {
  const { network, inputs, sample, result, current, t } = ctx;
  const cols = columns(network, inputs, result, sample);
  const compact = isCompact(network);
  const svgNode = compact ? compactView(cols, network, ctx) : fullView(cols, network, ctx);
  svgNode.classList.toggle("stepping", Boolean(current));
  box.replaceChildren(svgNode);
  box.dataset.view = compact ? "compact" : "full";
  box.dataset.rendered = String((Number(box.dataset.rendered) || 0) + 1);
  return svgNode;
}

function fullView(cols, network, ctx) {
  const { t, current, onEdge, onNode, inspect } = ctx;
  const tallest = Math.max(...cols.map((c) => c.values.length));
  const gapX = 150;
  const gapY = 58;
  const width = 90 + (cols.length - 1) * gapX + 60;
  const height = 50 + tallest * gapY;
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "net",
    role: "group",
    "aria-label": t("diagramLabel", { layers: network.layers.length, inputs: network.input_size }),
  });
  const pos = cols.map((col, c) => col.values.map((_, i) => [60 + c * gapX, 30 + (tallest - col.values.length) * gapY / 2 + i * gapY + gapY / 2]));
  const edgeCount = network.layers.reduce((n, l) => n + l.weights.length * (l.weights[0] || []).length, 0);
  const nodeCount = cols.reduce((n, c) => n + c.values.length, 0);
  const edges = svg("g", { class: "edges" });
  const focusable = edgeCount <= FOCUSABLE_EDGES;
  const interactive = edgeCount <= INTERACTIVE_EDGES;
  const bundles = new Map();
  network.layers.forEach((layer, li) => {
    let maxAbs = 0;
    for (const row of layer.weights) for (const w of row) maxAbs = Math.max(maxAbs, Math.abs(w));
    layer.weights.forEach((row, node) => {
      row.forEach((w, j) => {
        const from = pos[li][j];
        const to = pos[li + 1][node];
        if (!from || !to) return;
        const active = current && current.layer === li && current.node === node;
        const width = String(0.6 + 4.4 * (maxAbs ? Math.abs(w) / maxAbs : 0));
        if (!interactive) {
          // Many edges: one path per sign and width step (the table and the editor carry
          // the exact weights), so a redraw creates tens of elements, not thousands.
          const key = `${w < 0 ? "neg" : "pos"}${active ? " active" : ""}|${(Math.round(Number(width) * 2) / 2).toFixed(1)}`;
          bundles.set(key, (bundles.get(key) || "") + `M${from[0]} ${from[1]}L${to[0]} ${to[1]}`);
          return;
        }
        const label = t("edgeLabel", { from: `${cols[li].name}[${j}]`, to: `${cols[li + 1].name}[${node}]`, w: String(w) });
        const group = svg("g", {
          class: `edge ${w < 0 ? "neg" : "pos"}${active ? " active" : ""}`,
          "data-layer": li,
          "data-node": node,
          "data-input": j,
          tabindex: focusable ? 0 : undefined,
          role: focusable ? "button" : undefined,
          "aria-label": focusable ? label : undefined,
        });
        const line = svg("line", { x1: from[0], y1: from[1], x2: to[0], y2: to[1], class: "edge-line" });
        line.style.strokeWidth = width;
        group.append(title(label), svg("line", { x1: from[0], y1: from[1], x2: to[0], y2: to[1], class: "hit" }), line);
        group.addEventListener("click", () => onEdge(li, node, j));
        group.addEventListener("keydown", (e) => {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onEdge(li, node, j); }
        });
        for (const type of ["mouseenter", "focus"]) group.addEventListener(type, () => inspect(label));
        edges.append(group);
      });
    });
  });
  for (const [key, d] of bundles) {
    const [cls, width] = key.split("|");
    const path = svg("path", { d, class: `edge-line ${cls}`, fill: "none" });
    path.style.strokeWidth = width;
    edges.append(path);
  }
  root.append(edges);
  const nodes = svg("g", { class: "nodes" });
  cols.forEach((col, c) => {
    const scale = Math.max(1, ...col.values.filter(Number.isFinite).map(Math.abs));
    col.values.forEach((value, i) => {
      const [x, y] = pos[c][i];
      const label = c === 0
        ? t("inputNodeLabel", { name: `x[${i}]`, short: fmt(value, 2), value: fmt(value, 4) })
        : t("nodeLabel", { name: `${col.name}[${i}]`, short: fmt(value, 2), z: fmt(col.z[i], 4), a: fmt(value, 4) });
      const isCurrent = current && current.layer === c - 1 && current.node === i;
      const focusable = nodeCount <= FOCUSABLE_NODES;
      const group = svg("g", {
        class: `node${c === 0 ? " input" : ""}${isCurrent ? " current" : ""}`,
        "data-layer": c - 1,
        "data-node": i,
        tabindex: focusable ? 0 : undefined,
        role: focusable ? "button" : undefined,
        "aria-label": focusable ? label : undefined,
      });
      const circle = svg("circle", { cx: x, cy: y, r: 17 });
      circle.style.fill = fill(value, scale);
      const text = svg("text", { x, y: y + 31, class: "value" });
      text.textContent = fmt(value, 2);
      group.append(title(label), circle, text);
      group.addEventListener("click", () => onNode(c - 1, i));
      group.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onNode(c - 1, i); }
      });
      for (const type of ["mouseenter", "focus"]) group.addEventListener(type, () => inspect(label));
      nodes.append(group);
    });
    const head = svg("text", { x: pos[c][0] ? pos[c][0][0] : 60 + c * gapX, y: 16, class: "col-name" });
    head.textContent = c === 0 ? t("inputs") : col.name;
    nodes.append(head);
  });
  root.append(nodes);
  return root;
}

// One column per layer with a strip of cells (at most MAX_DRAWN_UNITS, evenly sampled) and
// the size of each weight matrix between columns.
function compactView(cols, network, ctx) {
  const { t, current } = ctx;
  const gapX = 170;
  const cell = 8;
  const shown = (n) => Math.min(n, MAX_DRAWN_UNITS);
  const height = 70 + MAX_DRAWN_UNITS * cell;
  const width = 80 + (cols.length - 1) * gapX + 80;
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "net compact",
    role: "group",
    "aria-label": t("compactLabel", { sizes: cols.map((c) => c.values.length).join("-") }),
  });
  cols.forEach((col, c) => {
    const n = col.values.length;
    const count = shown(n);
    const x = 50 + c * gapX;
    const top = 40 + (MAX_DRAWN_UNITS - count) * cell / 2;
    const scale = Math.max(1, ...col.values.filter(Number.isFinite).map(Math.abs));
    const group = svg("g", { class: `layer-col${current && current.layer === c - 1 ? " current" : ""}`, "data-layer": c - 1 });
    group.append(title(t("compactColumn", { name: c === 0 ? t("inputs") : col.name, units: n })));
    for (let k = 0; k < count; k += 1) {
      const i = Math.floor((k * n) / count);
      const rect = svg("rect", { x: x - 10, y: top + k * cell, width: 20, height: cell - 1, class: "cell" });
      rect.style.fill = fill(col.values[i], scale);
      group.append(rect);
    }
    const head = svg("text", { x, y: 20, class: "col-name" });
    head.textContent = c === 0 ? t("inputs") : col.name;
    const size = svg("text", { x, y: height - 8, class: "value" });
    size.textContent = t("unitsCount", { units: n });
    group.append(head, size);
    root.append(group);
    if (c > 0) {
      const layer = network.layers[c - 1];
      const link = svg("g", { class: "matrix" });
      const from = 50 + (c - 1) * gapX + 14;
      const to = x - 14;
      const mid = height / 2;
      link.append(svg("line", { x1: from, y1: mid, x2: to, y2: mid, class: "edge-line" }));
      const label = svg("text", { x: (from + to) / 2, y: mid - 8, class: "value" });
      label.textContent = `${layer.weights[0] ? layer.weights[0].length : 0}×${layer.weights.length}`;
      link.append(label);
      root.append(link);
    }
  });
  return root;
}
