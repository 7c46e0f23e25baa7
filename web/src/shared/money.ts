/**
 * Amounts travel as decimal strings with their currency ({ amount: "12.50", currency: "CNY" }) and are
 * shown and typed as such: never through a float, so what the person types is what the server gets.
 */
export interface Money {
  amount: string;
  currency: string;
}

const SYMBOLS: Record<string, string> = { CNY: "¥", USD: "$", EUR: "€", GBP: "£", JPY: "¥", HKD: "HK$" };

export function formatMoney(m: Money | null | undefined): string {
  if (!m) return "—";
  const negative = m.amount.startsWith("-");
  const [whole = "0", frac] = (negative ? m.amount.slice(1) : m.amount).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const symbol = SYMBOLS[m.currency];
  const text = `${grouped}${frac !== undefined ? `.${frac}` : ""}`;
  return `${negative ? "-" : ""}${symbol ?? ""}${text}${symbol ? "" : ` ${m.currency}`}`;
}

/** Minor units of each currency (JPY has none). */
export const decimalsOf = (currency: string) => (currency === "JPY" ? 0 : 2);

/**
 * A typed amount as the API wants it, or null when it is not an amount: "12.5" → "12.50", "1,200" → "1200.00".
 * Refuses more decimals than the currency has rather than rounding them away.
 */
export function parseMoneyInput(text: string, currency: string): string | null {
  const t = text
    .trim()
    .replace(/,/g, "")
    .replace(/^[¥$€£]/, "");
  const d = decimalsOf(currency);
  const m = /^(\d+)(?:\.(\d*))?$/.exec(t);
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > d) return null;
  const whole = m[1]?.replace(/^0+(?=\d)/, "") ?? "0";
  return d === 0 ? whole : `${whole}.${frac.padEnd(d, "0")}`;
}

/** An amount in minor units, exactly ("12.50" CNY → 1250n). */
export function toMinor(m: Money): bigint {
  const negative = m.amount.startsWith("-");
  const [whole = "0", frac = ""] = (negative ? m.amount.slice(1) : m.amount).split(".");
  const d = decimalsOf(m.currency);
  const minor = BigInt(whole || "0") * 10n ** BigInt(d) + BigInt(frac.padEnd(d, "0").slice(0, d) || "0");
  return negative ? -minor : minor;
}

/** Minor units back to the decimal string the API speaks (1250n CNY → "12.50"). */
export function fromMinor(minor: bigint, currency: string): Money {
  const d = decimalsOf(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(d + 1, "0");
  const amount = d === 0 ? digits : `${digits.slice(0, -d)}.${digits.slice(-d)}`;
  return { amount: `${negative ? "-" : ""}${amount}`, currency };
}

/** The exact sum of amounts in one currency, as money. */
export const sumMoney = (amounts: readonly string[], currency: string): Money => ({
  amount: sumAmounts(amounts, currency),
  currency,
});

/**
 * An amount as a chart draws it (a bar's height, in major units). Only for placing marks: labels and
 * tooltips show the decimal string itself through formatMoney.
 */
export const chartValue = (m: Money) => Number(toMinor(m)) / 10 ** decimalsOf(m.currency);

/** The sum of decimal amounts in one currency, added exactly in minor units: ["12.50", "0.75"] → "13.25". */
export function sumAmounts(amounts: readonly string[], currency: string): string {
  const total = amounts.reduce((a, x) => a + toMinor({ amount: x, currency }), 0n);
  return fromMinor(total, currency).amount;
}

/** A chart axis's tick (a plain number of whole units, not an amount anyone is paid): "¥1,200". */
export const formatMoneyTick = (value: number, currency: string) =>
  formatMoney({ amount: String(Math.round(value)), currency });
