/** The after-sales cost report's own strings (useScreenText("financeReport", TEXT)). */
import { TEXT as FINANCE } from "../text.ts";

const zh = {
  title: "售后成本报表",
  range: "日期范围",
  lastDays: "近 {{n}} 天",
  period: "时间粒度",
  periods: { day: "按日", month: "按月", none: "不分时间" },
  groupBy: "分组",
  dims: { day: "日期", month: "月份", shop: "店铺", channel: "渠道", reason: "原因" },
  kinds: {
    goods: "退货款",
    shipping: "退运费",
    compensation: "补偿",
    subsidies: "运费补贴",
    fees: "渠道手续费",
    net: "合计",
  },
  entries: "笔数",
  currency: "币种",
  total: "合计",
  export: "导出",
  exportCsv: "导出 CSV",
  exportXlsx: "导出 Excel",
  chartTitle: "售后成本（{{currency}}）",
  chartBy: {
    day: "每日售后成本（{{currency}}）",
    month: "每月售后成本（{{currency}}）",
    shop: "各店铺售后成本（{{currency}}）",
    channel: "各渠道售后成本（{{currency}}）",
    reason: "各原因售后成本（{{currency}}）",
  },
  stackedBy: { kinds: "按费用类型", shop: "按店铺", channel: "按渠道", reason: "按原因" },
  chartLabel: "图表：{{title}}，{{count}} 组",
  chartOtherCurrencies: "图表只显示 {{currency}}；其他币种见下表。",
  empty: "该时间范围内没有入账",
  loadFailed: "无法加载报表：{{message}}",
  none: "（无）",
  timeZone: "时区：{{tz}}",
  reasons: FINANCE["zh-CN"].reasons,
};

type Strings<T> = { [K in keyof T]: T[K] extends string ? string : Strings<T[K]> };

const en: Strings<typeof zh> = {
  title: "After-sales cost report",
  range: "Dates",
  lastDays: "Last {{n}} days",
  period: "Period",
  periods: { day: "By day", month: "By month", none: "Whole range" },
  groupBy: "Group by",
  dims: { day: "Day", month: "Month", shop: "Shop", channel: "Channel", reason: "Reason" },
  kinds: {
    goods: "Refunded goods",
    shipping: "Shipping refunded",
    compensation: "Compensation",
    subsidies: "Shipping subsidies",
    fees: "Channel fees",
    net: "Total",
  },
  entries: "Entries",
  currency: "Currency",
  total: "Total",
  export: "Export",
  exportCsv: "Export CSV",
  exportXlsx: "Export Excel",
  chartTitle: "After-sales cost ({{currency}})",
  chartBy: {
    day: "After-sales cost per day ({{currency}})",
    month: "After-sales cost per month ({{currency}})",
    shop: "After-sales cost by shop ({{currency}})",
    channel: "After-sales cost by channel ({{currency}})",
    reason: "After-sales cost by reason ({{currency}})",
  },
  stackedBy: { kinds: "by kind of cost", shop: "by shop", channel: "by channel", reason: "by reason" },
  chartLabel: "Chart: {{title}}, {{count}} groups",
  chartOtherCurrencies: "The chart shows {{currency}} only; other currencies are in the table.",
  empty: "Nothing was booked in these dates",
  loadFailed: "Could not load the report: {{message}}",
  none: "(none)",
  timeZone: "Time zone: {{tz}}",
  reasons: FINANCE.en.reasons,
};

export const TEXT = { "zh-CN": zh, en };
export const KINDS = ["goods", "shipping", "compensation", "subsidies", "fees"] as const;
export const GROUPS = ["shop", "channel", "reason"] as const;
