import i18n from "i18next";
import { initReactI18next, useTranslation } from "react-i18next";
import en from "./locales/en.ts";
import zhCN from "./locales/zh-CN.ts";

export const LANGUAGES = ["zh-CN", "en"] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = "aftersales.language";

/** zh-CN unless the person chose otherwise on this browser (the header's switch remembers it). */
function initialLanguage(): Language {
  const saved = typeof localStorage === "undefined" ? null : localStorage.getItem(STORAGE_KEY);
  return (LANGUAGES as readonly string[]).includes(saved ?? "") ? (saved as Language) : "zh-CN";
}

void i18n.use(initReactI18next).init({
  lng: initialLanguage(),
  fallbackLng: "zh-CN",
  defaultNS: "common",
  ns: ["common"],
  resources: { "zh-CN": { common: zhCN }, en: { common: en } },
  interpolation: { escapeValue: false },
  returnNull: false,
});
document.documentElement.lang = i18n.language;

export function setLanguage(lang: Language) {
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  return i18n.changeLanguage(lang);
}

/** The sales channels a shop can be on, as the console names them (common:channels.<code>). */
export const CHANNEL_CODES = Object.keys(zhCN.channels) as (keyof typeof zhCN.channels)[];

export const currentLanguage = () => i18n.language as Language;

/** A screen's own strings, kept in its folder and registered the first time it renders. */
export type ScreenText = Record<Language, Record<string, unknown>>;
export function useScreenText(ns: string, text: ScreenText) {
  for (const lang of LANGUAGES) {
    if (!i18n.hasResourceBundle(lang, ns)) i18n.addResourceBundle(lang, ns, text[lang], true, false);
  }
  return useTranslation([ns, "common"]);
}

/** A {zh, en} label from the API, in the current language. */
export const label = (l: { zh: string; en: string } | null | undefined) =>
  l ? (i18n.language === "en" ? l.en : l.zh) : "";

export default i18n;
