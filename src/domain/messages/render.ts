import type { Details, Messages, Template } from "./types.ts";

const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

/** A detail value as text: known values in the language's words, lists joined its way, objects as JSON. */
export function show(value: unknown, m: Messages, key = ""): string {
  if (Array.isArray(value)) return value.map((v) => show(v, m, key)).join(m.listSeparator);
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  const text = String(value);
  return m.terms[key]?.[text] ?? text;
}

/** Symbols people read money in; any other currency follows the amount as its code (12.00 SGD). */
const SYMBOLS: Readonly<Record<string, string>> = { CNY: "¥", USD: "$", EUR: "€", GBP: "£", HKD: "HK$" };
const AMOUNT = /^-?\d+(\.\d+)?$/;

/**
 * An amount with its currency: details of money (moneyDetails) carry decimal strings and a `currency`;
 * ids and quantities stay numbers, so only the strings are amounts.
 */
function withCurrency(value: unknown, currency: unknown, text: string): string {
  if (typeof value !== "string" || typeof currency !== "string" || !AMOUNT.test(value)) return text;
  const symbol = SYMBOLS[currency];
  if (!symbol) return `${value} ${currency}`;
  return value.startsWith("-") ? `-${symbol}${value.slice(1)}` : `${symbol}${value}`;
}

const present = (v: unknown) =>
  v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0);

/**
 * Fill a template from `details`. A list of templates is alternatives: the first whose placeholders
 * all have values wins, so the last one (with no placeholders) says it without the particulars.
 */
export function render(template: Template, details: Details, m: Messages): string {
  if (typeof template === "function") return template(details, (k) => show(details[k] ?? "", m, k));
  const options = typeof template === "string" ? [template] : template;
  const fits = options.find((t) =>
    [...t.matchAll(PLACEHOLDER)].every((x) => present(details[x[1] as string])),
  );
  const chosen = fits ?? options[options.length - 1] ?? "";
  return chosen.replace(PLACEHOLDER, (_, k: string) =>
    present(details[k]) ? withCurrency(details[k], details.currency, show(details[k], m, k)) : "?",
  );
}
