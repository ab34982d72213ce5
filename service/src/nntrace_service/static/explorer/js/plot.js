// Two small SVG charts: an activation and its derivative (samples from the API's /curve,
// or from /v1/evaluate for a formula), and the per-layer mean |gradient| on a log scale.
// Only coordinates are computed here (data to pixels); every value plotted is the API's.

import { fmt } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) if (value !== undefined) node.setAttribute(key, String(value));
  return node;
}

function text(x, y, content, cls, anchor) {
  const node = svg("text", { x, y, class: cls, "text-anchor": anchor });
  node.textContent = content;
  return node;
}

function finiteRange(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!Number.isFinite(lo)) return [-1, 1];
  if (hi - lo < 1e-9) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

// curve: {x, y, dy}; mark: {z, a} or null.
export function drawCurve(box, curve, mark, labels) {
  const W = 360;
  const H = 220;
  const L = 40;
  const R = 10;
  const T = 12;
  const B = 28;
  const [x0, x1] = [curve.x[0], curve.x[curve.x.length - 1]];
  const [y0, y1] = finiteRange([...curve.y, ...curve.dy]);
  const px = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": labels.summary });
  const axes = svg("g", { class: "axes" });
  if (y0 < 0 && y1 > 0) axes.append(svg("line", { x1: L, x2: W - R, y1: py(0), y2: py(0) }));
  if (x0 < 0 && x1 > 0) axes.append(svg("line", { x1: px(0), x2: px(0), y1: T, y2: H - B }));
  axes.append(svg("rect", { x: L, y: T, width: W - L - R, height: H - T - B, class: "frame" }));
  axes.append(text(L, H - 10, fmt(x0, 1), "tick", "middle"), text(W - R, H - 10, fmt(x1, 1), "tick", "end"));
  axes.append(text(L - 4, T + 8, fmt(y1, 2), "tick", "end"), text(L - 4, H - B, fmt(y0, 2), "tick", "end"));
  root.append(axes);
  const line = (ys, cls) => {
    const points = [];
    curve.x.forEach((x, i) => { if (Number.isFinite(ys[i])) points.push(`${px(x).toFixed(1)},${py(ys[i]).toFixed(1)}`); });
    return svg("polyline", { points: points.join(" "), class: cls });
  };
  root.append(line(curve.dy, "derivative"), line(curve.y, "function"));
  if (mark && Number.isFinite(mark.z) && mark.z >= x0 && mark.z <= x1) {
    root.append(svg("line", { x1: px(mark.z), x2: px(mark.z), y1: T, y2: H - B, class: "z-line" }));
    if (Number.isFinite(mark.a)) root.append(svg("circle", { cx: px(mark.z), cy: py(mark.a), r: 4.5, class: "z-dot" }));
    root.append(text(Math.min(px(mark.z) + 4, W - R - 60), T + 12, `z = ${fmt(mark.z, 2)}`, "z-label"));
  }
  const legend = document.createElement("p");
  legend.className = "legend";
  const f = document.createElement("span");
  f.className = "key function";
  f.textContent = labels.function;
  const d = document.createElement("span");
  d.className = "key derivative";
  d.textContent = labels.derivative;
  legend.append(f, d);
  box.replaceChildren(root, legend);
}

// values: mean |gradient| per layer (API), names: layer names.
export function drawGradients(box, values, names, labels) {
  const W = 360;
  const row = 20;
  const L = 70;
  const R = 92;
  const H = 16 + values.length * row;
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart bars", role: "img", "aria-label": labels.summary });
  if (!positive.length) {
    box.replaceChildren(root);
    return;
  }
  const lo = Math.floor(Math.log10(Math.min(...positive))) - 1;
  const hi = Math.ceil(Math.log10(Math.max(...positive)) + 1e-9);
  const span = Math.max(1, hi - lo);
  const width = (v) => (v > 0 ? Math.max(2, ((Math.log10(v) - lo) / span) * (W - L - R)) : 0);
  for (let p = lo; p <= hi; p += Math.max(1, Math.ceil(span / 4))) {
    const x = L + ((p - lo) / span) * (W - L - R);
    root.append(svg("line", { x1: x, x2: x, y1: 4, y2: H - 4, class: "grid-line" }));
  }
  values.forEach((v, i) => {
    const y = 8 + i * row;
    root.append(text(L - 6, y + 12, names[i], "tick", "end"));
    const bar = svg("rect", { x: L, y: y + 2, height: row - 6, width: width(v), class: "bar" });
    root.append(bar);
    root.append(text(L + width(v) + 4, y + 12, v > 0 ? v.toExponential(2) : "0", "tick"));
  });
  const scale = document.createElement("p");
  scale.className = "legend";
  scale.textContent = labels.scale.replace("{lo}", `1e${lo}`).replace("{hi}", `1e${hi}`);
  box.replaceChildren(root, scale);
}
