import { formatMinor, isCurrency } from "../money.ts";
import type { Condition } from "./condition.ts";
import type { Label, Lang } from "./text.ts";

/** How values read to people in explanations: amounts with currency, days with units, ratios in %. */

const SYMBOLS: Readonly<Record<string, string>> = {
  CNY: "¥",
  USD: "$",
  EUR: "€",
  GBP: "£",
  HKD: "HK$",
  TWD: "NT$",
  JPY: "JP¥",
  KRW: "₩",
};

export function formatAmount(minor: number, currency: string): string {
  if (!isCurrency(currency) || !Number.isSafeInteger(minor)) return `${minor} (minor units) ${currency}`;
  const text = formatMinor(minor, currency);
  const symbol = Object.hasOwn(SYMBOLS, currency) ? SYMBOLS[currency] : undefined;
  if (symbol === undefined) return `${text} ${currency}`;
  return text.startsWith("-") ? `-${symbol}${text.slice(1)}` : `${symbol}${text}`;
}

/** At most `digits` decimals, no trailing zeros: 2.5, 3, 33.3. */
export const formatNumber = (n: number, digits = 2): string => String(Number(n.toFixed(digits)));

export function formatDays(days: number, lang: Lang): string {
  const n = formatNumber(days, 1);
  if (lang === "zh") return `${n} 天`;
  return `${n} ${n === "1" ? "day" : "days"}`;
}

export const formatRatio = (ratio: number): string => `${formatNumber(ratio * 100, 1)}%`;

export function formatHours(hours: number, lang: Lang): string {
  const n = formatNumber(hours);
  if (lang === "zh") return `${n} 小时`;
  return `${n} ${n === "1" ? "hour" : "hours"}`;
}

export const joinList = (items: readonly string[], lang: Lang): string =>
  items.join(lang === "zh" ? "、" : ", ");

export const quote = (text: string, lang: Lang): string => (lang === "zh" ? `「${text}」` : `"${text}"`);

export const yesNo = (value: boolean, lang: Lang): string =>
  lang === "zh" ? (value ? "是" : "否") : value ? "yes" : "no";

function labelOf(values: Readonly<Record<string, Label>> | null, code: string, lang: Lang): string {
  const label = values && Object.hasOwn(values, code) ? values[code] : undefined;
  return label ? label[lang] : code;
}

/**
 * One value of a field as a person reads it. `currency` is the one the amount is in; scalars of
 * numeric fields are numbers (amounts in minor units), sets and lists are arrays.
 */
export function formatValue(cond: Condition, value: unknown, lang: Lang, currency: string): string {
  if (value === null || value === undefined) return cond.nullLabel[lang];
  // A list of values for `in` / `not_in`.
  if (Array.isArray(value) && cond.type !== "set") {
    return joinList(
      value.map((v) => formatValue(cond, v, lang, currency)),
      lang,
    );
  }
  switch (cond.type) {
    case "amount":
      return typeof value === "number" ? formatAmount(value, currency) : String(value);
    case "days":
      return typeof value === "number" ? formatDays(value, lang) : String(value);
    case "ratio":
      return typeof value === "number" ? formatRatio(value) : String(value);
    case "number":
      return typeof value === "number" ? formatNumber(value) : String(value);
    case "boolean":
      return typeof value === "boolean" ? yesNo(value, lang) : String(value);
    case "enum":
      return labelOf(cond.values, String(value), lang);
    case "string":
      return quote(String(value), lang);
    case "set": {
      if (!Array.isArray(value)) return labelOf(cond.values, String(value), lang);
      if (value.length === 0) return lang === "zh" ? "（无）" : "(none)";
      return joinList(
        value.map((v) => labelOf(cond.values, String(v), lang)),
        lang,
      );
    }
  }
}
