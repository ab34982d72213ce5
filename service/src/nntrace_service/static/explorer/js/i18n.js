// One string catalogue per language (i18n/<lang>.json); the page picks the browser's
// language unless the URL or the switch chose one. Strings take {name} placeholders.

export const LANGUAGES = ["en", "ja"];
const catalogues = {};
let current = "en";

async function fetchCatalogue(lang) {
  if (!catalogues[lang]) {
    const response = await fetch(new URL(`../i18n/${lang}.json`, import.meta.url));
    catalogues[lang] = await response.json();
  }
}

export async function loadLanguage(lang) {
  const chosen = LANGUAGES.includes(lang) ? lang : "en";
  await fetchCatalogue("en");
  await fetchCatalogue(chosen);
  current = chosen;
  return chosen;
}

export function browserLanguage() {
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

export function currentLanguage() {
  return current;
}

export function t(key, values) {
  const table = catalogues[current] || {};
  let text = table[key] ?? (catalogues.en || {})[key] ?? key;
  for (const [name, value] of Object.entries(values || {})) text = text.split(`{${name}}`).join(String(value));
  return text;
}

// Elements marked data-i18n get their text, data-i18n-label their aria-label.
export function translateDocument(root = document) {
  document.documentElement.lang = current;
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  document.title = t("title");
}
