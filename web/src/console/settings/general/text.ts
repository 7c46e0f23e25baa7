/** General settings' own strings (useScreenText("general", TEXT)). */
const zh = {
  title: "通用设置",
  saved: "已保存",
  tz: {
    title: "时区",
    intro: "商家所在的时区：风险评分里的“非常规时段”、规则里的“下单/申请时刻”都按此时区的本地时间计算。",
    label: "时区（IANA 名称）",
    hint: "例如 Asia/Shanghai、Asia/Hong_Kong、America/Los_Angeles",
    now: "此时区现在是 {{time}}",
  },
  tenders: {
    title: "退款顺序",
    intro:
      "一笔订单用多种方式支付（如微信支付 + 积分 + 优惠券）时，退款按此顺序逐项退回，每项最多退回该笔支付的剩余金额。默认先退真金白银。",
    up: "上移 {{name}}",
    down: "下移 {{name}}",
    names: {
      wechat_pay: "微信支付",
      alipay: "支付宝",
      card: "银行卡",
      platform: "平台代收",
      wallet: "余额/钱包",
      bank_transfer: "银行转账",
      points: "积分",
      coupon: "优惠券",
    },
  },
  fees: {
    title: "渠道手续费",
    intro: "每个支付渠道的手续费率，以及退款时渠道是否退还手续费：财务报表据此计算售后成本。",
    tender: "支付渠道",
    rate: "费率（基点，1 基点 = 0.01%）",
    percent: "即 {{percent}}%",
    returned: "退款时退还手续费",
  },
};

const en: typeof zh = {
  title: "General settings",
  saved: "Saved",
  tz: {
    title: "Time zone",
    intro:
      "The merchant's time zone: the risk score's unusual hours and the rules' hour-of-day conditions read local time here.",
    label: "Time zone (IANA name)",
    hint: "e.g. Asia/Shanghai, Asia/Hong_Kong, America/Los_Angeles",
    now: "It is {{time}} there now",
  },
  tenders: {
    title: "Refund tender order",
    intro:
      "When an order was paid several ways (e.g. WeChat Pay + points + a coupon), a refund goes back tender by tender in this order, each up to what that payment has left. By default real money first.",
    up: "Move {{name}} up",
    down: "Move {{name}} down",
    names: {
      wechat_pay: "WeChat Pay",
      alipay: "Alipay",
      card: "Card",
      platform: "Platform-collected",
      wallet: "Wallet balance",
      bank_transfer: "Bank transfer",
      points: "Points",
      coupon: "Coupon",
    },
  },
  fees: {
    title: "Channel fees",
    intro:
      "Each payment channel's fee rate and whether the channel gives its fee back on a refund: the finance report counts after-sales cost with them.",
    tender: "Payment channel",
    rate: "Rate (basis points, 1 bp = 0.01%)",
    percent: "{{percent}}%",
    returned: "Fee returned on refund",
  },
};

export const TEXT = { "zh-CN": zh, en };
