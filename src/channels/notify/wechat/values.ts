/**
 * WeChat subscribe-message value rules (订阅消息参数值内容限制), one per keyword kind. A template's data
 * key is the kind plus a number ("thing2", "character_string19"); WeChat answers 47003 when a value
 * breaks its kind's rule. The simulator enforces these, and the template editor validates with them.
 * Pure: no I/O. Lengths count characters (code points), as WeChat does.
 */

const HAN = /\p{Script=Han}/u;
const len = (s: string) => [...s].length;

const DATE = String.raw`\d{4}(?:年\d{1,2}月\d{1,2}日|-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2})`;
const TIME = String.raw`(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?`;
/** One point in time, or a span "A~B" of two. */
const span = (point: string) => new RegExp(String.raw`^${point}(?:\s*~\s*${point})?$`);
const TIME_VALUE = span(String.raw`(?:${DATE}\s+)?${TIME}`); // 24-hour time, date optional
const DATE_VALUE = span(String.raw`${DATE}(?:\s+${TIME})?`); // date, time optional

/** Kind → why a value breaks it (undefined: it passes). */
export const SUBSCRIBE_VALUE_RULES: Record<string, (v: string) => string | undefined> = {
  thing: (v) => (len(v) <= 20 ? undefined : "thing: at most 20 characters"),
  number: (v) =>
    /^\d+(?:\.\d+)?$/.test(v) && v.length <= 32 ? undefined : "number: digits (decimal allowed), at most 32",
  letter: (v) => (/^[A-Za-z]{1,32}$/.test(v) ? undefined : "letter: letters only, at most 32"),
  symbol: (v) => (/^[^\p{L}\p{N}\s]{1,5}$/u.test(v) ? undefined : "symbol: symbols only, at most 5"),
  character_string: (v) =>
    /^[\x21-\x7e]{1,32}$/.test(v) ? undefined : "character_string: at most 32 digits, letters or symbols",
  time: (v) => (TIME_VALUE.test(v) ? undefined : "time: 24-hour time (15:01), date optional, span with ~"),
  date: (v) => (DATE_VALUE.test(v) ? undefined : "date: a date (2019年10月1日), time optional, span with ~"),
  amount: (v) =>
    /^[¥￥$€£]?\d{1,10}(?:\.\d{1,2})?元?$/.test(v)
      ? undefined
      : "amount: optional currency symbol, at most 10 digits, optional 2 decimals, optional 元",
  phone_number: (v) =>
    /^[\d+\-()\s]{1,17}$/.test(v) && /\d/.test(v) ? undefined : "phone_number: at most 17 digits and symbols",
  car_number: (v) =>
    len(v) <= 8 && /^[\p{Script=Han}A-Za-z0-9][A-Za-z0-9]*[\p{Script=Han}A-Za-z0-9]?$/u.test(v)
      ? undefined
      : "car_number: at most 8, Chinese characters only first and last",
  // Mixed Chinese and letters counts as a Chinese name (10); letters and symbols only: 20.
  name: (v) =>
    HAN.test(v)
      ? len(v) <= 10 && /^[\p{Script=Han}A-Za-z·]+$/u.test(v)
        ? undefined
        : "name: at most 10 Chinese characters"
      : /^[^\d\p{Script=Han}]{1,20}$/u.test(v)
        ? undefined
        : "name: at most 20 letters or symbols",
  phrase: (v) => (/^\p{Script=Han}{1,5}$/u.test(v) ? undefined : "phrase: at most 5 Chinese characters"),
  // The enum's values live with the template on WeChat's side; only emptiness is checked here.
  enum: () => undefined,
};

/** "character_string19" → "character_string"; undefined for a key of no known kind. */
export function subscribeValueKind(key: string): string | undefined {
  const kind = key.replace(/\d+$/, "");
  return kind in SUBSCRIBE_VALUE_RULES ? kind : undefined;
}

/** Why `value` cannot be sent as data key `key` ("thing2"), or undefined when WeChat would take it. */
export function checkSubscribeValue(key: string, value: string): string | undefined {
  const kind = subscribeValueKind(key);
  if (!kind) return `${key}: unknown keyword kind`;
  if (value.trim() === "") return `${key}: empty`;
  return (SUBSCRIBE_VALUE_RULES[kind] as (v: string) => string | undefined)(value);
}
