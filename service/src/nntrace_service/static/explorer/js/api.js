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
    samples: withTrace ? [sample] : undefined,
    gradients: true,
  };
}

export const api = {
  catalog: (signal) => send("GET", "/v1/activations", undefined, signal),
  validate: (network, signal) => send("POST", "/v1/networks/validate", { network }, signal),
  evaluate: (body, signal) => send("POST", "/v1/evaluate", body, signal),
  curve(name, params, start, stop, num, signal) {
    const query = new URLSearchParams({ start: String(start), stop: String(stop), num: String(num) });
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== undefined && value !== "") query.set(key, String(value));
    }
    return send("GET", `/v1/activations/${encodeURIComponent(name)}/curve?${query}`, undefined, signal);
  },
};
