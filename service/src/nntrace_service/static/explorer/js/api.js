// Every number on the page comes from here: the service's own API, on the same origin.
// Nothing in this module computes a network value; it only sends requests and hands back
// the JSON (or the problem document, for the caller to show where it points).

export class Problem extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }

  // The located errors of an RFC 9457 problem ({pointer, detail}), or one at the root.
  get items() {
    const found = Array.isArray(this.body.errors) ? this.body.errors : [];
    return found.length ? found : [{ pointer: "", detail: this.message }];
  }
}

async function send(method, path, body, signal) {
  const init = { method, signal, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { detail: text.slice(0, 300) };
  }
  if (!response.ok) throw new Problem(response.status, parsed);
  return parsed;
}

// The request the page sends for a network and its inputs: also what "copy as curl" shows.
export function evaluateBody(network, inputs, sample, withTrace) {
  return {
    network,
    inputs,
    trace: withTrace ? "nodes" : "layers",
    trace_layout: withTrace ? "columns" : undefined,
    samples: withTrace ? [sample] : undefined,
    gradients: true,
  };
}

// The columnar trace (half the bytes of one object per term) as one record per node, the
// shape the page works with: a change of layout, no arithmetic.
function withNodes(result) {
  if (!result || !Array.isArray(result.traces)) return result;
  const nodes = [];
  for (const trace of result.traces) {
    trace.samples.forEach((sample, s) => {
      for (let j = 0; j < trace.units; j += 1) {
        const row = trace.weights[j];
        nodes.push({
          sample,
          layer: trace.layer,
          layer_name: trace.layer_name,
          node: j,
          label: `${trace.layer_name}[${j}]`,
          terms: row.map((weight, i) => ({ weight, input: trace.inputs[s][i], product: trace.products[s][j][i] })),
          bias: trace.bias[j],
          z: trace.z[s][j],
          activation: trace.activation,
          a: j < trace.a[s].length ? trace.a[s][j] : null,
          calculation: trace.calculations[s][j],
        });
      }
    });
  }
  nodes.sort((x, y) => x.sample - y.sample || x.layer - y.layer || x.node - y.node);
  return { ...result, nodes };
}

export const api = {
  catalog: (signal) => send("GET", "/v1/activations", undefined, signal),
  validate: (network, signal) => send("POST", "/v1/networks/validate", { network }, signal),
  // A stored network (public, unlisted, or the caller's): sent with no key, so only what
  // anyone may read comes back; a network with hidden weights comes without `network`.
  stored: (id, signal) => send("GET", `/v1/networks/${encodeURIComponent(id)}`, undefined, signal),
  evaluate: (body, signal) => send("POST", "/v1/evaluate", body, signal).then(withNodes),
  curve(name, params, start, stop, num, signal) {
    const query = new URLSearchParams({ start: String(start), stop: String(stop), num: String(num) });
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== undefined && value !== "") query.set(key, String(value));
    }
    return send("GET", `/v1/activations/${encodeURIComponent(name)}/curve?${query}`, undefined, signal);
  },
};
