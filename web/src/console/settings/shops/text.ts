/** The shop settings' own strings (useScreenText("shops", TEXT)): the list and one shop's page. */
const zh = {
  title: "店铺与平台连接",
  add: "添加店铺",
  addTitle: "添加店铺",
  id: "店铺编号",
  idHint: "小写字母、数字、- 或 _，创建后不可修改，例如 tmall-flagship",
  name: "店铺名称",
  channel: "渠道",
  connection: "平台连接",
  manage: "管理",
  created: "已添加店铺 {{name}}",
  connected: "已连接",
  notConnected: "未连接",
  notSupported: "该渠道无需平台连接",
  back: "返回店铺列表",
  tabs: { connection: "平台连接", sync: "同步状态", address: "退货地址", review: "审核设置" },
  cred: {
    intro:
      "凭证只写不读：保存后只显示哪些字段已设置及最后修改时间，不会再显示其内容。每次保存都会替换全部凭证，必填项需重新填写。",
    status: "连接状态",
    updatedAt: "最后修改",
    never: "从未设置",
    set: "已设置",
    unset: "未设置",
    required: "必填",
    optional: "选填",
    gatewayHint: "平台接口地址（沙箱、代理或模拟器）；留空则使用平台的正式地址",
    placeholderSet: "已设置，内容不显示；重新填写以替换",
    save: "保存凭证",
    saved: "凭证已保存",
    disconnect: "断开连接",
    disconnectConfirm: "断开后该店铺不再同步订单和售后申请，确定断开？",
    disconnected: "已断开连接",
    unsupported: "{{channel}} 店铺没有平台接口可以连接，订单和售后单通过接口或导入录入。",
  },
  sync: {
    intro:
      "系统每分钟从平台拉取一次订单和售后申请，平台推送的消息随时处理。失败的申请会在之后的同步中自动重试。",
    now: "立即同步",
    done: "同步已完成",
    doneWithErrors: "同步已运行，但有失败，见下方说明",
    stream: "数据",
    streams: { orders: "订单", aftersales: "售后申请" },
    state: "状态",
    running: "同步中",
    ok: "正常",
    failed: "失败",
    never: "尚未同步",
    syncedTo: "已同步至",
    lag: "落后",
    lagIn: { m: "{{n}} 分钟", h: "{{n}} 小时", d: "{{n}} 天" },
    lastRun: "上次运行",
    inWindow: "正在分页读取 {{from}} – {{to}}",
    noStreams: "这个店铺还没有同步过。连接平台后，同步会在一分钟内开始，也可以点击“立即同步”。",
    failedRequests: "未能处理的售后申请",
    failedIntro: "这些申请在同步时出错，会在之后的同步中自动重试（每个申请有重试上限）。",
    externalId: "平台申请号",
    error: "原因",
    attempts: "尝试次数",
    at: "时间",
    detail: "技术细节",
    noFailures: "没有失败的申请",
  },
  why: {
    unavailable:
      "无法连接到平台：网络不通、超时或平台出错。下一轮同步会自动重试；若持续失败，请检查接口地址（gateway）。",
    auth: "平台拒绝了店铺的凭证（签名错误、授权过期或缺少字段）。请在“平台连接”中重新填写凭证。",
    notConnected: "店铺还没有平台凭证，无法同步。请在“平台连接”中填写凭证。",
    notSupported: "暂不支持对接这个渠道的平台接口。",
    noGateway: "没有平台接口地址：请在“平台连接”中填写 gateway。",
    notFound: "平台上已找不到这个申请。",
    orderNotFound: "申请对应的订单在平台上找不到，待订单同步后会自动重试。",
    rejected: "平台返回了无法处理的数据，已记录，稍后重试。",
  },
  address: {
    intro: "买家退货寄往此地址；同意退货时，系统会把它告诉平台。",
    name: "收件人",
    phone: "电话",
    address: "详细地址",
    postcode: "邮编",
    addressId: "平台地址编号",
    addressIdHint: "平台上该地址的编号（如淘宝 seller_address_id），平台要求时填写",
    none: "尚未设置退货地址：同意退货时将无法通知平台寄回地址。",
    saved: "退货地址已保存",
  },
  review: {
    intro: "金额按每张售后单自己的币种计算（一个店铺只用一种币种）。留空表示不启用。",
    currency: "店铺币种：{{currency}}",
    noCurrency: "店铺还没有订单，金额按售后单的币种计算",
    autoRefundLimit: "自动退款上限",
    autoRefundHint: "规则同意的仅退款单，金额不超过此值时立即退款",
    secondApprovalAbove: "二次审批金额",
    secondApprovalHint: "同意金额超过此值时，需要另一位审核人员再次同意",
    badAmount: "请输入金额，例如 200.00",
    saved: "审核设置已保存",
    off: "不启用",
  },
};

const en: typeof zh = {
  title: "Shops and platform connections",
  add: "Add shop",
  addTitle: "Add a shop",
  id: "Shop ID",
  idHint: "Lower-case letters, digits, - or _; fixed once created, e.g. tmall-flagship",
  name: "Shop name",
  channel: "Channel",
  connection: "Platform connection",
  manage: "Manage",
  created: "Added shop {{name}}",
  connected: "Connected",
  notConnected: "Not connected",
  notSupported: "No platform to connect",
  back: "Back to shops",
  tabs: {
    connection: "Connection",
    sync: "Sync status",
    address: "Return address",
    review: "Review settings",
  },
  cred: {
    intro:
      "Credentials are write-only: once saved, only which fields are set and when they last changed are shown, never their values. Saving replaces all of them, so fill in every required field again.",
    status: "Status",
    updatedAt: "Last changed",
    never: "Never set",
    set: "Set",
    unset: "Not set",
    required: "Required",
    optional: "Optional",
    gatewayHint: "The platform API's address (a sandbox, proxy or simulator); empty: the platform's own",
    placeholderSet: "Set (not shown); type a new value to replace it",
    save: "Save credentials",
    saved: "Credentials saved",
    disconnect: "Disconnect",
    disconnectConfirm: "The shop will no longer sync orders and requests. Disconnect?",
    disconnected: "Disconnected",
    unsupported:
      "{{channel}} shops have no platform API to connect; their orders and cases come in over the API or by import.",
  },
  sync: {
    intro:
      "Orders and after-sales requests are pulled from the platform every minute, and its push messages handled as they come. Requests that fail are retried by later syncs.",
    now: "Sync now",
    done: "Sync finished",
    doneWithErrors: "The sync ran but something failed; see below",
    stream: "Data",
    streams: { orders: "Orders", aftersales: "After-sales requests" },
    state: "Status",
    running: "Syncing",
    ok: "OK",
    failed: "Failed",
    never: "Not synced yet",
    syncedTo: "Synced up to",
    lag: "Behind by",
    lagIn: { m: "{{n}} min", h: "{{n}} h", d: "{{n}} d" },
    lastRun: "Last run",
    inWindow: "Reading pages of {{from}} – {{to}}",
    noStreams:
      "This shop has not synced yet. Once it is connected, syncing starts within a minute, or press Sync now.",
    failedRequests: "Requests that could not be taken",
    failedIntro: "These requests failed while syncing; later syncs retry them (up to a limit per request).",
    externalId: "Platform request",
    error: "Why",
    attempts: "Attempts",
    at: "When",
    detail: "Technical detail",
    noFailures: "No failed requests",
  },
  why: {
    unavailable:
      "The platform could not be reached: network down, a timeout or a platform error. The next sync retries; if it keeps failing, check the API address (gateway).",
    auth: "The platform refused the shop's credentials (wrong signature, expired authorisation or missing fields). Enter them again under Connection.",
    notConnected: "The shop has no platform credentials, so it cannot sync. Enter them under Connection.",
    notSupported: "This channel's platform API is not supported.",
    noGateway: "No platform API address: set gateway under Connection.",
    notFound: "The platform no longer knows this request.",
    orderNotFound:
      "The request's order was not found on the platform; it is retried once orders have synced.",
    rejected: "The platform answered with something we could not use; recorded, and retried later.",
  },
  address: {
    intro: "Buyers send their returns here; when a return is agreed, the platform is told this address.",
    name: "Recipient",
    phone: "Phone",
    address: "Address",
    postcode: "Postcode",
    addressId: "Platform address ID",
    addressIdHint: "The platform's ID of this address (e.g. Taobao seller_address_id), where it asks for one",
    none: "No return address yet: the platform cannot be told where returns go.",
    saved: "Return address saved",
  },
  review: {
    intro: "Amounts are in each case's own currency (a shop sells in one). Leave empty to turn off.",
    currency: "Shop currency: {{currency}}",
    noCurrency: "The shop has no orders yet; amounts are in each case's currency",
    autoRefundLimit: "Automatic refund limit",
    autoRefundHint: "Refund-only cases a rule approves are refunded at once up to this amount",
    secondApprovalAbove: "Second approval above",
    secondApprovalHint: "Approvals above this amount need a second, different approver",
    badAmount: "Enter an amount, e.g. 200.00",
    saved: "Review settings saved",
    off: "Off",
  },
};

export const TEXT = { "zh-CN": zh, en };
export { CHANNEL_CODES } from "../../../shared/i18n.ts";

/**
 * Why a sync stopped, in words, from the error it recorded ("CODE: detail" or "ErrorName: detail"): the
 * key under `why`, or null when it is none we know (the detail is shown as it is).
 */
export function whyKey(error: string): keyof typeof zh.why | null {
  const code = /^([A-Za-z_0-9]+):/.exec(error)?.[1] ?? "";
  if (code === "ChannelUnavailableError" || code === "PLATFORM_UNAVAILABLE") return "unavailable";
  if (code === "PLATFORM_NOT_CONNECTED") return "notConnected";
  if (code === "PLATFORM_NOT_SUPPORTED") return "notSupported";
  if (code === "PLATFORM_NO_GATEWAY") return "noGateway";
  if (code === "NOT_FOUND") return "notFound";
  if (code === "ORDER_NOT_FOUND") return "orderNotFound";
  if (/CREDENTIAL|AUTH|SIGN|TOKEN|^TOP_(7|11|25|26|27|28|29)$/i.test(code)) return "auth";
  if (/^[A-Z_0-9]+$/.test(code) || code === "PlatformRejectedError") return "rejected";
  return null;
}
