// Display formatting only: the numbers themselves come from the API.

export function fmt(value, decimals = 4) {
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
  return value.toFixed(decimals).replace(/^-(0\.0*)$/, "$1");
}

// The full-precision spelling a JSON number round-trips to.
export function exact(value) {
  return value === null || value === undefined ? "null" : String(value);
}
