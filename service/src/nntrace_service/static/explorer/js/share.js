// Share and export: the link (the whole state in the fragment), the same request as curl
// and as Python with the client SDK, and the network as a JSON file in the API's schema.

import { evaluateBody } from "./api.js";
import { encodeState } from "./state.js";

function pretty(value) {
  return JSON.stringify(value, null, 2).replace(/\[\s+([-\d.e+,\s]+?)\s+\]/g, (_, inner) => `[${inner.split(/,\s*/).join(", ")}]`);
}

export function linkFor(state) {
  return `${location.origin}/explore#s=${encodeState(state)}`;
}

export function curlFor(state) {
  const body = evaluateBody(state.network, state.inputs, state.sample, true);
  return [
    `curl -sS -X POST ${location.origin}/v1/evaluate \\`,
    "  -H 'Content-Type: application/json' \\",
    "  --data-binary @- <<'JSON'",
    pretty(body),
    "JSON",
  ].join("\n");
}

function pythonLiteral(value) {
  return pretty(value).replace(/\btrue\b/g, "True").replace(/\bfalse\b/g, "False").replace(/\bnull\b/g, "None");
}

export function pythonFor(state) {
  return [
    "from nntrace import Client",
    "",
    `network = ${pythonLiteral(state.network)}`,
    `inputs = ${pythonLiteral(state.inputs)}`,
    "",
    `with Client(${JSON.stringify(location.origin)}) as client:`,
    `    result = client.evaluate(network, inputs, trace="nodes", samples=[${state.sample}], gradients=True)`,
    "    for node in result.nodes:",
    "        print(node.calculation)",
    "",
  ].join("\n");
}

export function setupShare({ getState, onLoad, t, status, exportText }) {
  const show = async (text, message) => {
    exportText.textContent = text;
    exportText.closest("details").open = true;
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch {
      copied = false;
    }
    status.textContent = copied ? message : t("copyFailed");
  };
  document.getElementById("copy-link").addEventListener("click", () => show(linkFor(getState()), t("copiedLink")));
  document.getElementById("copy-curl").addEventListener("click", () => show(curlFor(getState()), t("copiedCurl")));
  document.getElementById("copy-python").addEventListener("click", () => show(pythonFor(getState()), t("copiedPython")));
  document.getElementById("download").addEventListener("click", () => {
    const blob = new Blob([`${pretty(getState().network)}\n`], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "network.json";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    status.textContent = t("downloaded");
  });
  document.getElementById("upload").addEventListener("change", async (event) => {
    const file = event.target.files && event.target.files[0];
    if (!file) return;
    let parsed;
    try {
      parsed = JSON.parse(await file.text());
    } catch (error) {
      status.textContent = t("uploadBadJson", { message: error.message });
      return;
    }
    // A network, or a request body holding one (and perhaps inputs).
    const network = parsed && parsed.network ? parsed.network : parsed;
    if (!network || typeof network !== "object" || !Array.isArray(network.layers)) {
      status.textContent = t("uploadNotNetwork");
      return;
    }
    const inputs = parsed && Array.isArray(parsed.inputs) ? (Array.isArray(parsed.inputs[0]) ? parsed.inputs : [parsed.inputs]) : null;
    await onLoad(network, inputs);
    status.textContent = t("uploaded", { name: file.name });
    event.target.value = "";
  });
}
