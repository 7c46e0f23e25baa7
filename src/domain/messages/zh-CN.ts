import { CASE_STATES } from "../lifecycle.ts";
import type { Details, Messages } from "./types.ts";

/** 简体中文：商家后台的说法（售后单、退款、店铺、退货、质检……）。 */

const CHANNELS: Record<string, string> = {
  taobao: "淘宝",
  tmall: "天猫",
  jd: "京东",
  pdd: "拼多多",
  douyin: "抖店",
  wechat_channels: "微信视频号小店",
  shopify: "Shopify",
  manual: "手工录入",
  wechat_pay: "微信支付",
  alipay: "支付宝",
  platform: "平台代收",
  card: "银行卡",
  bank_transfer: "银行转账",
  wallet: "钱包",
  coupon: "优惠券",
  points: "积分",
};

const ACTIONS: Record<string, string> = {
  approve: "同意",
  reject: "拒绝",
  cancel: "撤销",
  ship_return: "登记退货寄回",
  receive: "收货",
  inspect: "质检",
  grant_refund: "退款",
  refund_succeeded: "标记退款成功",
  refund_failed: "标记退款失败",
  ship_replacement: "发出换货/补发",
  close: "完结",
  reopen: "重新打开",
  revoke: "撤回同意",
};

const ROLES: Record<string, string> = {
  admin: "管理员",
  cs_agent: "客服",
  reviewer: "审核员",
  supervisor: "主管",
  warehouse: "仓库",
  finance: "财务",
};

const PERMISSIONS: Record<string, string> = {
  "shops.write": "管理店铺",
  "tokens.write": "管理 API 令牌",
  "orders.read": "查看订单",
  "orders.write": "录入订单",
  "cases.read": "查看售后单",
  "cases.create": "新建售后单",
  quotes: "试算退款",
  "case.approve": "同意售后",
  "case.reject": "拒绝售后",
  "case.cancel": "撤销售后",
  "case.ship_return": "登记退货寄回",
  "case.receive": "退货收货",
  "case.inspect": "质检退货",
  "case.grant_refund": "同意退款",
  "case.issue_refund": "发送退款",
  "case.ship_replacement": "发出换货/补发",
  "case.close": "完结售后单",
  "case.override": "推翻规则的决定",
  "rules.read": "查看审核规则",
  "rules.write": "编辑审核规则",
  "rules.activate": "启用规则集",
  "alerts.read": "查看预警",
  "alerts.ack": "确认预警",
  "settings.write": "修改设置",
  "tracking.write": "登记物流轨迹",
  "case.compensate": "给予补偿",
  "finance.read": "查看财务数据",
  "reconciliations.read": "查看对账报告",
  "reconciliations.run": "执行对账",
  "inventory.read": "查看库存",
  "inventory.write": "调整库存",
  "audit.read": "查看操作日志",
  "imports.write": "导入订单",
  "tokens.read": "查看 API 令牌",
  "users.write": "管理人员账号",
  "case.claim": "认领售后单",
  "case.assign": "分配售后单",
  "webhooks.read": "查看 Webhook 订阅与投递",
  "webhooks.write": "管理 Webhook 订阅",
};

const GUARDS: Record<string, string> = {
  has_tracking: "请填写快递公司和运单号",
  all_received: "还有商品没有收到",
  some_outstanding: "商品已全部收到",
  qc_pass: "质检没有通过",
  qc_fail: "质检已通过",
  positive_refund: "已没有可退的金额",
  has_note: "请填写原因",
};

const STATES: Record<string, string> = Object.fromEntries(
  Object.entries(CASE_STATES).map(([k, v]) => [k, v.zh]),
);

const BUCKETS: Record<string, string> = {
  sellable: "可售",
  quarantine: "待检",
  defective: "次品",
  scrapped: "报废",
  returned_to_vendor: "退供应商",
  reserved: "预留",
};

/** 设置类错误：列出出问题的字段（每处的说明在 details.errors 里）。 */
const settingsProblems = (what: string) => (d: Details) => {
  const errors = Array.isArray(d.errors) ? (d.errors as { path?: unknown }[]) : [];
  const paths = errors.map((e) => String(e.path ?? "")).filter(Boolean);
  return paths.length ? `${what}有 ${errors.length} 处问题：${paths.join("、")}` : `${what}无效`;
};

/** 命令行参数错误，按 details.problem 分别说明。 */
const usage: Record<string, (say: (k: string) => string) => string> = {
  needs_value: (say) => `选项 ${say("option")} 需要一个值`,
  takes_no_value: (say) => `选项 ${say("option")} 不带值`,
  unknown_command: (say) => `没有“${say("command")}”这个命令`,
  unknown_option: (say) => `没有 ${say("option")} 这个选项`,
  one_file: () => "请指定一个要导入的文件",
  positive_integer: (say) => `${say("option")} 必须是正整数，收到“${say("value")}”`,
  integer: (say) => `${say("option")} 必须是整数，收到“${say("value")}”`,
  port: (say) => `端口必须是 0–65535 之间的数字，收到“${say("value")}”`,
  unexpected: (say) => `多余的参数“${say("value")}”`,
  one_of: (say) => `${say("option")} 只能是：${say("allowed")}`,
  needs_option: (say) => `${say("option")} 需要同时指定 ${say("needs")}`,
  either_or: (say) => `${say("options")} 只能指定其中一个`,
  needs_args: (say) => `${say("command")} 需要参数 ${say("args")}`,
  takes_args: (say) => `${say("command")} 的参数是 ${say("args") || "（无）"}，收到“${say("value")}”`,
  not_applicable: (say) => `${say("option")} 不适用于 ${say("command")}`,
  no_bill_channel: () => "这里没有可以自动下载对账单的支付渠道；请用 --file 指定账单文件",
  alerts_usage: () => "用法：aftersales alerts scan（为退款率突增的 SKU 和类目发出质量预警）",
};

export const zhCN: Messages = {
  listSeparator: "、",
  terms: {
    channel: CHANNELS,
    channels: CHANNELS,
    platform: CHANNELS,
    tender: CHANNELS,
    state: STATES,
    action: ACTIONS,
    allowed: ACTIONS,
    role: ROLES,
    grantable: ROLES,
    permission: PERMISSIONS,
    guard: GUARDS,
    bucket: BUCKETS,
    decision: { approve: "同意", reject: "拒绝" },
    part: { name: "收件人", phone: "联系电话", address: "详细地址" },
  },
  titles: {
    400: "请求有误",
    401: "未登录或令牌无效",
    403: "无权操作",
    404: "未找到",
    405: "不支持的请求方法",
    406: "无法提供所需格式",
    409: "操作冲突",
    413: "内容过大",
    414: "地址过长",
    415: "不支持的内容类型",
    422: "无法处理",
    423: "已锁定",
    429: "请求过于频繁",
    500: "服务器内部错误",
    502: "上游服务出错",
    503: "服务暂不可用",
  },
  validation: {
    keywords: {
      required: "缺少{field}",
      type: "{field} 应为{type}",
      enum: "{field} 只能是以下值之一：{values}",
      const: "{field} 只能是 {values}",
      additionalProperties: "未知{field}：该接口不接受",
      minimum: "{field} 不能小于 {limit}",
      maximum: "{field} 不能大于 {limit}",
      exclusiveMinimum: "{field} 必须大于 {limit}",
      exclusiveMaximum: "{field} 必须小于 {limit}",
      minLength: ["{field} 至少要 {limit} 个字符", "{field} 不能为空"],
      maxLength: "{field} 最多 {limit} 个字符",
      minItems: "{field} 至少要有 {limit} 项",
      maxItems: "{field} 最多只能有 {limit} 项",
      uniqueItems: "{field} 中有重复项",
      pattern: "{field} 的格式不正确",
      format: "{field} 不是有效的{format}",
      multipleOf: "{field} 必须是 {limit} 的整数倍",
      minProperties: "{field} 不能为空",
      text: "{field} 含有无法保存的字符（NUL 或不成对的代理字符）",
    },
    other: "{field} 的值不符合要求",
    types: {
      string: "字符串",
      integer: "整数",
      number: "数字",
      boolean: "布尔值（true 或 false）",
      array: "列表",
      object: "对象",
      null: "null",
    },
    or: "或",
    where: { body: "字段 ", querystring: "查询参数 ", params: "路径参数 ", headers: "请求头 " },
    whole: { body: "请求体", querystring: "查询参数", params: "路径参数", headers: "请求头" },
  },
  errors: {
    // 请求与权限
    BAD_REQUEST: "请求格式不正确",
    VALIDATION_ERROR: "请求参数不正确",
    UNKNOWN_FIELD: ["未知字段 {field}：该接口不接受", "请求中有该接口不接受的字段"],
    INTERNAL: "服务器内部出错；数据没有丢失，请重试",
    NOT_FOUND: "找不到请求的资源",
    UNAUTHENTICATED: (d) =>
      d.reason === "missing"
        ? "请先登录，或提供 API 令牌：Authorization: Bearer <token>"
        : d.reason === "unknown"
          ? "API 令牌无效或已被吊销"
          : d.reason === "session_ended"
            ? "登录已失效，请重新登录"
            : "未登录，请登录或提供有效的 API 令牌",
    FORBIDDEN: ["{role}角色无权{permission}", "没有执行此操作的权限"],
    SHOP_FORBIDDEN: ["此令牌无权操作店铺 {shop}", "此令牌无权操作该店铺"],
    ROUTE_NOT_FOUND: "没有这个接口，请检查请求方法和地址",
    INVALID_JSON: "请求体不是有效的 JSON",
    BODY_TOO_LARGE: "请求体过大",
    URL_TOO_LONG: "请求地址过长",
    UNSUPPORTED_MEDIA_TYPE: "不支持这种内容类型（Content-Type）",
    VALUE_OUT_OF_RANGE: "数值超出了允许的范围",
    INVALID_TEXT: "文本中含有无法保存的字符（NUL 或不成对的代理字符）",
    RATE_LIMITED: ["请求过于频繁，请 {retryAfterSeconds} 秒后再试", "请求过于频繁，请稍后再试"],
    ALL_SHOPS_REQUIRED: "这项操作影响所有店铺，需要使用不限店铺的令牌",
    TOKEN_NOT_FOUND: ["令牌 {tokenId} 不存在", "令牌不存在"],
    WEBHOOK_NOT_FOUND: ["Webhook 地址 {endpointId} 不存在", "Webhook 地址不存在"],
    WEBHOOK_DELIVERY_NOT_FOUND: ["Webhook 投递 {deliveryId} 不存在", "Webhook 投递不存在"],
    WEBHOOK_URL_INVALID: "Webhook 地址须为 http:// 或 https:// 开头，且不超过 2000 个字符",
    WEBHOOK_EVENT_TYPE_UNKNOWN: ["未知的事件类型：{unknown}（可选：{known}）", "未知的事件类型"],
    WEBHOOK_SHOPS_EMPTY: "Webhook 地址不限任何店铺将收不到任何事件，请至少指定一个店铺",
    WEBHOOK_SHOPS_FORBIDDEN: "只能订阅您自己店铺的事件",
    WEBHOOK_ENDPOINT_DISABLED: [
      "Webhook 地址 {endpointId} 已停用（{reason}），请先启用",
      "该 Webhook 地址已停用，请先启用",
    ],
    CSRF_TOKEN_INVALID: "此操作需要在请求头 x-csrf-token 中带上会话的 CSRF 令牌，请刷新页面后重试",
    SIGN_IN_FAILED: "账号或密码错误",
    ACCOUNT_LOCKED: ["登录失败次数过多，账号已锁定至 {until}", "登录失败次数过多，账号暂时锁定，请稍后再试"],
    NO_SESSION: "此请求使用的是 API 令牌，没有登录控制台的人员",
    USER_NOT_FOUND: ["人员 {userId} 不存在", "人员不存在"],
    USER_EXISTS: ["账号 {login} 已被使用", "该账号已被使用"],
    USER_ROLE_FORBIDDEN: [
      "您不能授予{role}角色（可授予：{grantable}）",
      "您不能修改{role}角色人员的账号",
      "您不能授予或修改这个角色",
    ],
    USER_SHOPS_FORBIDDEN: (d, say) =>
      d.shops === null
        ? "您只限部分店铺，不能给账号开通所有店铺"
        : d.yours
          ? `只能给账号开通您自己的店铺（您的店铺：${say("yours")}）`
          : "只能给账号开通您自己的店铺",
    USER_SHOPS_EMPTY: "账号至少要限定一个店铺，否则什么也看不到",
    USER_NAME_INVALID: "姓名应为 1 到 100 个字符",
    LOGIN_INVALID: "账号为 1 到 64 个字符：字母、数字和 . _ @ -，以字母或数字开头",
    PASSWORD_TOO_SHORT: ["密码至少 {min} 个字符", "密码太短"],
    PASSWORD_INCORRECT: "当前密码不正确",
    OWN_ACCOUNT_PROTECTED: "不能停用自己的账号，也不能修改自己的角色或店铺",
    TOKEN_NAME_INVALID: "令牌名称应为 1 到 100 个字符",
    TOKEN_ROLE_FORBIDDEN: [
      "您不能授予{role}角色（可授予：{grantable}）",
      "您不能吊销{role}角色的令牌",
      "您不能授予或吊销这个角色",
    ],
    TOKEN_SHOPS_EMPTY: "令牌至少要限定一个店铺，否则什么也看不到",
    TOKEN_SHOPS_FORBIDDEN: (d, say) =>
      d.shops === null
        ? "您的令牌只限部分店铺，不能创建适用于所有店铺的令牌"
        : d.yours
          ? `只能为您自己的店铺创建令牌（您的店铺：${say("yours")}）`
          : "只能为您自己的店铺创建令牌",
    CONFLICT: ["店铺 {shop} 已存在", "数据同时被其他操作修改了，请刷新后重试"],

    // 金额
    INVALID_AMOUNT: [
      '“{value}”不是有效的金额，请使用如 "19.90" 的小数字符串',
      "金额必须大于零，收到 {amount}",
      "各笔退款合计 {legs}，与应退金额 {parts} 不符",
      "金额无效",
    ],
    NEGATIVE_AMOUNT: ["金额不能为负数：{value}", "金额不能为负数"],
    AMOUNT_PRECISION: ["金额 {value} 的小数位数过多：{currency} 最多 {digits} 位小数", "金额的小数位数过多"],
    UNKNOWN_CURRENCY: ["不支持的币种“{currency}”", "不支持该币种"],
    PRORATE_BAD_WEIGHT: "分摊权重必须是非负整数",
    PRORATE_NO_WEIGHTS: "没有可分摊的对象，无法分摊非零金额",

    // 订单
    ORDER_NOT_FOUND: [
      "订单 {orderId} 不存在",
      "订单 {externalOrderId} 不存在",
      "平台上没有订单 {orderExternalId}",
      "订单不存在",
    ],
    ORDER_NO_LINES: "订单至少需要一个商品行",
    ORDER_LOCKED: "该订单已有售后单，商品行和金额不能再修改",
    ORDER_CURRENCY_CHANGED: "订单的币种不能更改",
    DISCOUNT_EXCEEDS_PRICE: ["第 {line} 行的优惠超过了商品金额", "优惠金额超过了商品金额"],
    LINE_PAID_EXCEEDS_PRICE: [
      "第 {line} 行的实付金额超过了优惠后的商品金额",
      "实付金额超过了优惠后的商品金额",
    ],
    PAYMENT_MISMATCH: ["各笔支付合计 {payments}，与订单实付 {paidTotal} 不符", "各笔支付合计与订单实付不符"],
    DUPLICATE_LINE: ["商品行 {lineId} 重复出现", "同一商品行出现了两次"],
    UNKNOWN_LINE: ["订单中没有商品行 {lineId}", "订单中没有这个商品行"],
    INVALID_QUANTITY: [
      "第 {line} 行的数量必须是正整数",
      "商品行 {lineId} 的数量必须是正整数",
      "数量必须是正整数",
    ],
    INVALID_STATUS: ["没有“{status}”这种物流状态", "物流状态无效"],
    SHOP_NOT_FOUND: ["店铺 {shop} 不存在", "店铺不存在"],

    // 售后单
    CASE_NOT_FOUND: ["售后单 {caseId} 不存在", "售后单不存在"],
    INVALID_CASE_TYPE: [
      "没有“{type}”这种售后类型；可选：refund_only（仅退款）、return_refund（退货退款）、exchange（换货）、reship（补发）",
      "售后类型无效",
    ],
    INVALID_REASON: ["没有“{reason}”这种售后原因；可选：{known}", "售后原因无效"],
    INVALID_SOURCE: ["没有“{source}”这种售后来源；可选：{known}", "售后来源无效"],
    NO_ITEMS: "至少要选择一件商品",
    NOT_SHIPPED: "订单还没有发货，无法退货；请改为申请仅退款",
    QUANTITY_EXCEEDS_RETURNABLE: [
      "商品行 {lineId} 最多还能申请 {claimable} 件，本次申请了 {requested} 件",
      "申请数量超过了可申请售后的数量",
    ],
    INVALID_TRANSITION: (d, say) => {
      const now = d.state ? `售后单当前为“${say("state")}”，` : "";
      const can =
        Array.isArray(d.allowed) && d.allowed.length
          ? `（现在可以：${say("allowed")}）`
          : "（现在不能再做任何操作）";
      return d.action ? `${now}不能${say("action")}${d.state ? can : ""}` : "售后单当前状态不允许这个操作";
    },
    GUARD_FAILED: ["不能{action}：{guard}", "不满足执行这个操作的条件"],
    VERSION_CONFLICT: [
      "售后单在您打开之后已被 {changedBy} 修改（当前版本 {currentVersion}），请刷新后重试",
      "售后单在您打开之后已被修改，请刷新后重试",
    ],

    // 负责人、待办队列、视图、批量操作
    USER_REQUIRED: "只有用人员账号登录的人才能负责售后单，API 令牌不能",
    ALREADY_OWNER: ["售后单的负责人已经是 {ownerName}", "售后单的负责人已经是这个人"],
    CASE_OWNED: ["这张售后单由别人（{ownerName}）负责，请由其本人或主管转交", "这张售后单由别人负责"],
    NO_OWNER: "这张售后单没有负责人",
    NOT_YOUR_CASE: [
      "这张售后单由 {ownerName} 负责，只有其本人或有分配权限的人能取消",
      "这张售后单由别人负责",
    ],
    ASSIGNEE_INVALID: (d) =>
      d.reason === "disabled"
        ? "此人的账号已停用"
        : d.reason === "shop"
          ? `此人看不到店铺 ${d.shop ?? ""}`.trim()
          : d.reason === "missing"
            ? "请指定把售后单分配给谁（userId）"
            : "没有这个人",
    CASE_CLOSED: "售后单已结束，负责人不再变更",
    INVALID_FILTER: ["不能按{field}“{value}”筛选", "筛选条件无效"],
    VIEW_NOT_FOUND: ["视图 {viewId} 不存在", "视图不存在"],
    VIEW_NAME_REQUIRED: "请给视图起个名字",
    VIEW_BUILT_IN: ["{viewId} 是内置视图，不能修改；请另存一个自己的视图", "内置视图不能修改"],
    BATCH_TARGET_INVALID: "请提供售后单 id，或者筛选条件加 expectedCount（您看到的数量），二者选一",
    BATCH_COUNT_CHANGED: [
      "筛选条件现在匹配 {actual} 张售后单，而不是 {expected} 张；请重新查看后再操作",
      "筛选条件匹配的售后单有变化，请重新查看后再操作",
    ],
    BATCH_TOO_LARGE: ["筛选条件匹配 {count} 张售后单，一次批量最多 {max} 张", "一次批量的售后单太多"],
    VERSION_REQUIRED: "请提供要补偿的售后单版本号（expectedVersion）",
    INVALID_DECISION: [
      "决定只能是 approve（同意）或 reject（拒绝），收到“{decision}”",
      "决定只能是 approve（同意）或 reject（拒绝）",
    ],
    NOTE_REQUIRED: "推翻规则的决定时，请写明原因",
    NOTHING_TO_OVERRIDE: "只能推翻规则做出的决定，并且须在售后单有其他进展之前",
    OVERRIDE_SAME_DECISION: ["规则已经决定{decision}，无需推翻", "规则已经做出了同样的决定，无需推翻"],
    SECOND_APPROVER_REQUIRED: "第一次审批是您做的，第二次审批须由另一个人完成",
    INVALID_COMPENSATION: ["补偿类型只能是：{known}", "补偿类型无效"],

    // 退款
    REFUND_NOT_FOUND: ["退款 {refundId} 不存在", "退款不存在"],
    REFUND_ABOVE_CAP: [
      "退款金额 {requested} 超过可退上限 {cap}",
      "商品行 {lineId} 失败的那部分已经由另一张售后单退过了",
      "退款金额超过可退上限",
    ],
    DEDUCTIONS_EXCEED_REFUND: [
      "扣款合计 {deductions} 超过了可退金额 {cap}",
      "扣款合计超过了可退金额 {cap}",
      "扣款合计超过了可退金额",
    ],
    QUANTITY_EXCEEDS_REFUNDABLE: ["商品行 {lineId} 最多还能退 {refundable} 件", "退款数量超过了可退数量"],
    REFUND_EXCEEDS_PAYMENT: [
      "退款金额 {refund} 超过了订单各笔支付剩余的可退金额 {refundable}",
      "退款金额超过了订单各笔支付剩余的可退金额",
    ],
    REFUND_ALREADY_REPLACED: [
      "退款 {refundId} 已经重新发送或改走其他方式",
      "这笔退款已经重新发送或改走其他方式",
    ],
    REFUND_NOT_FAILED: [
      "退款 {refundId} 当前为 {status}：只有被渠道最终拒绝的退款才能改走其他方式",
      "只有被渠道最终拒绝的退款才能改走其他方式",
    ],
    NOT_AN_OFFLINE_TENDER: ["“{tender}”不是由财务人工打款的退款方式", "这不是由财务人工打款的退款方式"],
    SHIPPING_EXCEEDS_REFUNDABLE: [
      "运费只剩 {refundable} 可退，本次申请退 {requested}",
      "申请退的运费超过了剩余可退运费",
    ],
    REFUND_PARTLY_PAID: "这笔退款已有一部分退成功，只能重新发送失败的部分",
    REFUND_ALREADY_SETTLED: ["退款 {refundId} 已经结束（{status}）", "这笔退款已经结束"],
    NOTHING_TO_SEND: "这张售后单没有待发送的退款",
    CHANNEL_UNAVAILABLE: "支付渠道暂时没有给出明确结果；系统会先向渠道查询再决定是否重发，不会重复退款",
    NOT_AN_OFFLINE_REFUND: [
      "退款 {refundId} 通过{channel}原路退回，由渠道自动完成，不能人工标记",
      "这笔退款通过原支付渠道退回，由渠道自动完成，不能人工标记",
    ],
    REFERENCE_REQUIRED: "请填写银行转账（或钱包）的交易流水号",
    INVALID_TENDER_ORDER: [
      "未知的支付方式：{unknown}",
      "退款顺序中有重复的支付方式：{order}",
      "退款顺序应为由支付方式组成的非空列表，可选：{tenders}",
      "退款顺序无效",
    ],
    PARCEL_BEING_INTERCEPTED: (d) =>
      d.interception === "intercepted"
        ? "包裹已拦截成功，正在退回；退回后才会退款"
        : "包裹正在拦截中；快递拦截成功并退回后才会退款",
    REFUND_REFUSAL_RECOMMENDED: "质检结果建议拒绝退款",
    PAYMENT_CHANNEL_NOT_CONFIGURED: ["没有配置支付渠道“{name}”", "没有配置该支付渠道"],
    DEMO_REFUND_NOT_SENT: ["演示退款 {refundId} 未能发出：{error}", "演示退款未能发出"],

    // 退货、质检、库存
    SCAN_REQUIRED: "请扫描运单号或条码",
    TRACKING_REQUIRED: "请填写快递公司和运单号",
    INVALID_CONDITION: ["没有“{condition}”这种商品状况", "商品状况无效"],
    INVALID_PHOTOS: "照片应为引用（URL）组成的列表",
    LINE_NOT_IN_CASE: ["订单商品行 {lineId} 不在这张售后单中", "该商品行不在这张售后单中"],
    RECEIPT_EXCEEDS_CASE: [
      "商品行 {lineId} 在这张售后单上只剩 {outstanding} 件待收货",
      "这张售后单只剩 {outstanding} 件待收货",
      "收货数量超过了售后单的数量",
    ],
    RECEIPT_KEY_REUSED: ["幂等键 {key} 已用于售后单 {caseId} 的收货", "这个幂等键已用于另一张售后单的收货"],
    RECEIPT_LINE_NOT_FOUND: ["收货明细 {receiptLineId} 不属于这张售后单", "该收货明细不属于这张售后单"],
    PARCEL_NOT_FOUND: ["无头件 {parcelId} 不存在", "无头件不存在"],
    PARCEL_ALREADY_MATCHED: ["该包裹已匹配到售后单 {caseId}", "该包裹已被匹配"],
    PARCEL_ALREADY_RECEIVED: [
      "退货包裹 {code} 属于售后单 {cases}，该售后单已不再等待收货（已收货或已完结）",
      "这个退货包裹所属的售后单已不再等待收货",
    ],
    NOTHING_TO_INSPECT: ["请指明质检了哪些收货明细", "没有待质检的商品"],
    NOTHING_TO_PASS: ["收货明细 {receiptLineId} 中已没有待质检的商品", "没有待质检的商品"],
    INSPECTION_EXCEEDS_RECEIPT: [
      "收货明细 {receiptLineId} 只有 {pending} 件待质检",
      "质检数量超过了待质检的数量",
    ],
    INSPECTION_KEY_REUSED: ["幂等键 {key} 已用于另一张售后单的质检", "这个幂等键已用于另一张售后单的质检"],
    INVALID_QC_RESULT: "质检结果只能是 pass（通过）或 fail（不通过）",
    INVALID_FINDING: ["没有“{finding}”这种质检结论", "质检结论无效"],
    INVALID_DISPOSITION: (d) =>
      d.result === "pass"
        ? "质检通过的商品只能入可售库存"
        : d.result === "fail"
          ? "质检不通过的商品只能作为次品保留、报废或退回供应商"
          : "商品去向无效",
    INSUFFICIENT_STOCK: [
      "{warehouse} 仓中 {sku} 的可售库存只有 {sellable} 件，需要 {needed} 件",
      "可售库存不足",
    ],
    NEGATIVE_STOCK: ["{warehouse} 仓中 {sku} 的{bucket}库存只有 {available} 件", "库存不足"],
    INVALID_BUCKET: ["没有“{bucket}”这种库存类型", "库存类型无效"],
    INVALID_SKU: "请填写 SKU",
    KEY_REQUIRED: "库存调整需要以单据号（盘点表、收货单号）作为幂等键",
    INVALID_WAREHOUSE: ["仓库编码“{id}”无效：应为 1–40 位字母、数字或 - _ .", "请填写仓库名称"],
    WAREHOUSE_EXISTS: ["仓库 {warehouse} 已存在", "仓库已存在"],
    WAREHOUSE_NOT_FOUND: ["仓库 {warehouse} 不存在", "仓库不存在"],
    INVALID_CURSOR: "分页游标无效：请使用接口返回的 cursor",

    // 物流
    TRACKING_NOT_FOUND: ["没有找到 {carrier} 运单 {trackingNo} 的包裹", "没有找到这个包裹"],
    TRACKING_NOT_CONFIGURED: "未配置物流跟踪服务",
    TRACKING_SUBSCRIBE_REJECTED: ["物流跟踪服务拒绝订阅这个运单（{code}）", "物流跟踪服务拒绝订阅这个运单"],
    UNKNOWN_TRACKING_PROVIDER: ["没有名为“{provider}”的物流跟踪服务在此推送", "没有这个物流跟踪服务"],
    INVALID_TIME: ["“{at}”不是有效的时间", "时间无效"],
    PUSH_MALFORMED: "物流推送格式不正确，未处理",
    SIGNATURE_MISSING: "推送没有签名，未处理",
    SIGNATURE_INVALID: "推送签名不匹配，未处理",

    // 规则、风险、预警
    RULES_INVALID: (d) => {
      const n = Array.isArray(d.errors) ? d.errors.length : 0;
      const what = d.file ? `${String(d.file)} 不是有效的规则集` : "规则集无效";
      return n ? `${what}，共 ${n} 处问题` : what;
    },
    RULE_VERSION_NOT_FOUND: ["规则集版本 {version} 不存在", "规则集版本不存在"],
    RULE_VERSION_NOT_DRAFT: [
      "规则集版本 {version} 已是 {status} 状态；启用过的版本不能再修改，请新建草稿",
      "启用过的规则集版本不能再修改，请新建草稿",
    ],
    RULES_SECOND_PERSON_REQUIRED: [
      "规则集版本 {version} 是你编写的，需由另一位主管复核后启用",
      "这个规则集是你编写的，需由另一位主管复核后启用",
    ],
    BACKTEST_ABORTED: "回测已停止",
    RULES_FILE_UNREADABLE: ["无法读取 {file}", "无法读取规则集文件"],
    RULES_FILE_NOT_JSON: ["{file} 不是有效的 JSON", "规则集文件不是有效的 JSON"],
    NO_ACTIVE_RULES:
      "还没有启用的规则集；请用 --version N 指定版本，或从默认规则开始：aftersales rules export --default",
    INVALID_VERSION: ["版本号应为正整数（1、2……），收到“{value}”", "版本号无效"],
    INVALID_BACKTEST: [
      "售后单 {caseId} 的人工决定只能是 approve 或 reject",
      "maxDisagreements 必须是不小于 0 的整数",
    ],
    RISK_THRESHOLDS_INVALID: settingsProblems("风险阈值设置"),
    QUALITY_THRESHOLDS_INVALID: settingsProblems("质量预警阈值设置"),
    QUALITY_STATS_INVALID: "质量统计数据无效：计数必须是不小于 0 的整数",
    ALERT_NOT_FOUND: ["预警 {alertId} 不存在", "预警不存在"],
    ALERT_ALREADY_ACKNOWLEDGED: ["预警 {alertId} 已经确认过了", "该预警已经确认过了"],

    // 设置
    INVALID_SETTING: ["没有“{key}”这项审核设置", "审核设置无效"],
    INVALID_POLICY: ["未知的售后政策：{unknown}；可选：{known}", "售后政策无效"],
    INVALID_POLICY_SCOPE: "售后政策按 SKU 或类目设置，并需填写 SKU 或类目名称",
    INVALID_TIMEZONE: ["没有“{timeZone}”这个时区", "时区无效"],
    INVALID_FEES: [
      "“{tender}”的手续费设置无效：rateBp 为 0–10000 个基点，returnedOnRefund 为 true 或 false",
      "手续费设置应为对象：支付方式 → { rateBp, returnedOnRefund }",
    ],
    INVALID_RETURN_ADDRESS: ["退货地址缺少{part}", "退货地址不完整"],
    RETURN_ADDRESS_MISSING: [
      "请先设置店铺 {shop} 的退货地址",
      "{platform}只使用店铺退货地址库中的地址，请先在平台后台添加这个退货地址",
      "请先设置店铺的退货地址",
    ],

    // 财务、分析、对账
    INVALID_DATE: [
      "“{date}”不是有效日期（格式为 YYYY-MM-DD）",
      "“{from}”不是有效日期（格式为 YYYY-MM-DD）",
      "“{to}”不是有效日期（格式为 YYYY-MM-DD）",
      "{option} 应为日期或时间，如 2026-10-01 或 2026-10-01T08:00:00+08:00，收到“{value}”",
      "日期无效",
    ],
    INVALID_MONTH: [
      "“{from}”不是有效月份（格式为 YYYY-MM）",
      "“{to}”不是有效月份（格式为 YYYY-MM）",
      "月份无效（格式为 YYYY-MM）",
    ],
    INVALID_DATE_RANGE: [
      "结束日期 {to} 早于开始日期 {from}",
      "报表最长覆盖三年，所选范围为 {days} 天",
      "日期范围无效",
    ],
    INVALID_DIMENSION: ["不能按“{by}”统计退款率；可选：{known}", "统计维度无效"],
    INVALID_REPORT_DIMENSION: [
      "报表不能按“{unknown}”汇总；可选：{known}",
      "报表只能按日或按月汇总，不能同时两者",
    ],
    RECONCILIATION_NOT_FOUND: ["对账记录 {id} 不存在", "对账记录不存在"],
    RECONCILIATION_ITEM_NOT_FOUND: [
      "该对账报告中（已）没有 {key} 的这个问题，请刷新报告",
      "对账明细不存在，请刷新报告",
    ],
    RECONCILIATION_ITEM_NOT_A_PROBLEM: ["{key} 双方一致，没有需要处理的问题", "该明细不是问题，无需处理"],
    RECONCILIATION_ITEM_ALREADY_RESOLVED: ["{by} 已将该问题标记为已处理（{at}）", "该问题已被标记为已处理"],
    RECONCILIATION_ITEM_NOT_RESOLVED: ["{key} 未标记为已处理，请刷新报告", "该问题未标记为已处理"],
    RESOLUTION_NOTE_REQUIRED: "请填写处理说明",
    RECONCILIATION_CHANNEL_NOT_CONFIGURED: [
      "{channel}未配置自动下载对账单，请上传账单文件",
      "该渠道未配置自动下载对账单，请上传账单文件",
    ],
    RECONCILIATION_CHANNEL_UNSUPPORTED: [
      "{channel}的账单暂不支持对账；支持：{channels}",
      "该渠道的账单暂不支持对账",
    ],
    BILL_NOT_READY: ["{channel}还没有出 {date} 的对账单，请稍后再试", "对账单还没有生成，请稍后再试"],
    BILL_FETCH_FAILED: ["{channel} {date} 的对账单下载失败，请稍后重试", "对账单下载失败，请稍后重试"],
    BILL_DATE_MISMATCH: ["上传的是 {billDate} 的账单，而不是 {date} 的", "账单日期与对账日期不符"],
    BILL_HASH_MISMATCH: [
      "下载的 {date} 对账单与微信支付公布的校验值不符，未使用",
      "下载的对账单校验失败，未使用",
    ],
    FILE_TOO_LARGE_UNCOMPRESSED: (d) =>
      typeof d.maxBytes === "number"
        ? `文件（解压后）超过了 ${d.maxBytes / 1048576} MiB 的上限`
        : "文件（解压后）过大",
    ARCHIVE_RATIO_TOO_HIGH: [
      "文件解压后超过原大小的 {maxRatio} 倍，疑似压缩炸弹，已拒绝",
      "文件解压比例过高，疑似压缩炸弹，已拒绝",
    ],
    BILL_FILE_UNREADABLE: ["无法读取账单文件 {file}", "无法读取账单文件"],
    BILL_MALFORMED: "无法识别这个账单文件：格式不对或内容不完整",

    // 导入
    IMPORT_FILE_NOT_FOUND: ["无法读取 {file}", "无法读取导入文件"],
    IMPORT_EMPTY_FILE: ["{file} 没有表头行", "导入文件没有表头行"],
    IMPORT_COLUMN_MISSING: [
      "文件中没有“{column}”列（映射到 {field}）；文件中的列有：{header}",
      "文件缺少映射所需的列",
    ],
    IMPORT_FILE_INVALID: (d) =>
      `${typeof d.file === "string" ? d.file : "导入文件"} 不是可读取的${d.format === "csv" ? " CSV 文本文件" : " XLSX 文件"}`,
    IMPORT_NOT_FOUND: ["导入任务 {id} 不存在", "导入任务不存在"],
    IMPORT_FILE_TYPE_UNSUPPORTED: [
      "不支持这种文件类型（{contentType}）；请上传 CSV（text/csv）或 XLSX 文件",
      "请上传 CSV（text/csv）或 XLSX 文件",
    ],
    IMPORT_NOT_RUNNING: ["导入任务 {id} 当前没有在运行（{state}）", "该导入任务当前没有在运行"],
    IMPORT_MAPPING_INVALID: [
      "列映射中有未知的键：{keys}",
      "列映射中代码 {code} 的类型“{kind}”无效",
      "列映射中的币种“{currency}”无效",
      "列映射中的时区“{timeZone}”无效",
      "列映射中“{field}”的设置有误",
      "列映射无效，请检查映射的 JSON 内容",
    ],
    IMPORT_MAPPING_CHANGED: "这个文件之前是用另一套列映射导入的，请使用相同的映射",
    IMPORT_RUNNING_ELSEWHERE: "另一个进程正在导入这个文件；请等它完成，或先停止它",
    IMPORT_UNKNOWN_PRESET: ["没有名为“{preset}”的预设；可选：{known}", "没有这个预设"],

    // 平台对接
    PLATFORM_NOT_CONNECTED: ["店铺 {shop} 还没有配置平台凭证", "店铺还没有配置平台凭证"],
    PLATFORM_NOT_SUPPORTED: ["暂不支持对接{channel}", "暂不支持对接这个渠道"],
    PLATFORM_NO_GATEWAY: [
      "请设置店铺的“gateway”凭证，指明{channel}接口地址",
      "请设置店铺的“gateway”凭证，指明平台接口地址",
    ],
    PLATFORM_UNAVAILABLE: "平台暂时无法访问，请稍后重试",
    PLATFORM_BAD_RESPONSE: ["{platform}返回了无法识别的数据（{field}）", "平台返回了无法识别的数据"],
    PLATFORM_CURSOR_INVALID: ["这不是有效的{platform}分页游标", "分页游标无效"],
    PLATFORM_NOT_A_CASE: [
      "{platform}售后单 {externalId} 不属于本系统处理的售后类型",
      "这不是本系统处理的售后类型",
    ],
    PLATFORM_REF_INVALID: ["“{externalId}”不是京东的退款申请单号或服务单号", "平台售后单号无效"],
    PLATFORM_UNKNOWN_STATUS: [
      "{platform}售后单 {externalId} 的状态 {status} 不在平台文档之中，未做处理",
      "平台售后单的状态无法识别，未做处理",
    ],
    PLATFORM_UNKNOWN_TYPE: [
      "{platform}售后单 {externalId} 的售后类型无法识别，未做处理",
      "平台售后单的售后类型无法识别，未做处理",
    ],
    PLATFORM_WINDOW_INVALID: "拉取时间窗口的结束时间必须晚于开始时间",
    PLATFORM_WINDOW_TOO_LONG: [
      "{platform}每次拉取的时间窗口过长，请缩短后分批拉取",
      "拉取的时间窗口过长，请缩短后分批拉取",
    ],
    PLATFORM_WINDOW_TOO_BUSY: "这个时间窗口内的记录超过了平台的分页上限，请缩短时间窗口分批拉取",
    CREDENTIAL_FIELDS_MISSING: ["缺少凭证字段：{missing}", "缺少凭证字段"],
    UNKNOWN_CREDENTIAL_FIELD: [
      "这些不是{channel}的凭证字段：{unknown}；可用：{allowed}",
      "未知的凭证字段：{unknown}",
      "未知的凭证字段",
    ],
    INVALID_GATEWAY: "gateway 必须是 http(s) 地址",
    PUSH_NOT_SUPPORTED: ["{channel}不接收推送消息", "该渠道不接收推送消息"],
    UNKNOWN_CHANNEL: ["没有名为“{channel}”的支付渠道在此接收回调", "没有这个支付渠道"],
    SECRET_KEY_MISSING:
      "未配置密钥（AFTERSALES_SECRET_KEY，base64 编码的 32 字节），无法保存或读取店铺凭证和 Webhook 密钥",
    SECRET_KEY_INVALID: "密钥格式不对：应为 32 字节随机数的 base64 编码（如 `openssl rand -base64 32`）",
    SECRET_KEY_UNAVAILABLE: [
      "加密这项数据的密钥 {keyId} 未配置（请加入 AFTERSALES_SECRET_KEYS_OLD）",
      "加密这项数据的密钥未配置",
    ],
    SECRET_TAMPERED: "加密数据的完整性校验失败，可能已被篡改",

    // 渠道回调与推送：签名、格式
    INVALID_SIGNATURE: "签名不匹配，消息未处理",
    MISSING_SIGNATURE: "淘宝推送没有签名，未处理",
    INVALID_APP_KEY: "这条淘宝推送属于其他应用，未处理",
    INVALID_MESSAGE: "淘宝推送格式不正确，未处理",
    ALIPAY_RESPONSE_MALFORMED: "支付宝返回的数据格式不正确",
    ALIPAY_RESPONSE_MISMATCH: "支付宝返回的数据与请求不符",
    ALIPAY_AMOUNT_INVALID: "支付宝返回的金额无法识别",
    ALIPAY_GATEWAY_ERROR: "支付宝网关出错，请稍后重试",
    ALIPAY_BUSINESS_UNKNOWN: "支付宝返回了无法识别的业务结果",
    ALIPAY_REFUND_STATUS_UNKNOWN: "支付宝返回了无法识别的退款状态",
    ALIPAY_APP_ID_MISMATCH: "这条支付宝通知属于其他应用（app_id 不符），未处理",
    ALIPAY_KEY_INVALID: "无法读取支付宝密钥，请检查配置的应用私钥和支付宝公钥",
    ALIPAY_NOTIFY_MALFORMED: "支付宝通知格式不正确，未处理",
    ALIPAY_NOTIFY_NOT_A_REFUND: "这条支付宝通知与退款无关，未处理",
    ALIPAY_QUERY_NEEDS_TRADE: "查询支付宝退款需要原支付交易号（trade_no 或 out_trade_no）",
    ALIPAY_SIGNATURE_INVALID: "支付宝通知验签失败，未处理",
    ALIPAY_SIGN_MISSING: "支付宝通知没有签名，未处理",
    ALIPAY_SIGN_TYPE_UNSUPPORTED: "支付宝通知的签名类型不是 RSA2，未处理",
    WECHATPAY_SIGNATURE_MISSING: "微信支付通知缺少签名信息，未处理",
    WECHATPAY_SIGNATURE_INVALID: "微信支付通知验签失败，未处理",
    WECHATPAY_TIMESTAMP_EXPIRED: "微信支付通知的时间戳无效或已过期，未处理",
    WECHATPAY_UNKNOWN_SERIAL: "微信支付通知使用了未知的平台证书序列号，未处理",
    WECHATPAY_DECRYPT_FAILED: "微信支付通知解密失败，未处理",
    WECHATPAY_MCHID_MISMATCH: "这笔退款属于其他微信支付商户号，未处理",
    WECHATPAY_NOTIFICATION_MALFORMED: "微信支付通知格式不正确，未处理",
    DOUYIN_APP_MISMATCH: "这条抖店推送属于其他应用，未处理",
    DOUYIN_CREDENTIALS_MISSING: "该店铺没有配置抖店 app_key/app_secret，无法验证推送",
    DOUYIN_PUSH_MALFORMED: "抖店推送格式不正确，未处理",
    DOUYIN_SIGNATURE_INVALID: "抖店推送验签失败，未处理",
    DOUYIN_SIGNATURE_MISSING: "抖店推送缺少 app-id 或签名，未处理",
    SHOPIFY_CREDENTIALS_MISSING: "该店铺没有配置 Shopify client_secret，无法验证推送",
    SHOPIFY_PUSH_MALFORMED: "Shopify 推送格式不正确，未处理",
    SHOPIFY_SHOP_MISMATCH: "这条 Shopify 推送属于其他店铺，未处理",
    SHOPIFY_SIGNATURE_INVALID: "Shopify 推送验签失败，未处理",
    SHOPIFY_SIGNATURE_MISSING: "Shopify 推送没有签名，未处理",
    WECHAT_APP_MISMATCH: "这条视频号推送属于其他 appid，未处理",
    WECHAT_CREDENTIALS_MISSING: "该店铺没有配置视频号推送所需的 Token 或 EncodingAESKey",
    WECHAT_DECRYPT_FAILED: "视频号推送解密失败，未处理",
    WECHAT_PLAINTEXT_REFUSED: "该店铺只接收加密（安全模式）推送",
    WECHAT_PUSH_MALFORMED: "视频号推送格式不正确，未处理",
    WECHAT_SIGNATURE_INVALID: "视频号推送验签失败，未处理",
    WECHAT_SIGNATURE_MISSING: "视频号推送缺少签名参数，未处理",

    // 命令行
    INVALID_ARGUMENTS: (d, say) => {
      const line = typeof d.problem === "string" ? usage[d.problem]?.(say) : undefined;
      return line ?? "命令参数有误";
    },
    ERR_PARSE_ARGS_UNKNOWN_OPTION: ["没有 {option} 这个选项", "有未知的选项"],
    ERR_PARSE_ARGS_INVALID_OPTION_VALUE: ["选项 {option} 的值不正确", "选项的值不正确"],
    ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL: ["多余的参数“{value}”", "有多余的参数"],
    DATA_DIR_LOCKED: [
      "数据目录 {dir} 正被进程 {pid} 使用。请先停止它，或改用 PostgreSQL（DATABASE_URL）以便多个进程同时运行。",
      "无法锁定数据目录 {dir}",
      "数据目录正被其他进程使用",
    ],
    SERVICE_UNREACHABLE: [
      "运行中的服务（{url}，进程 {pid}）没有响应；它还在运行吗？",
      "运行中的服务没有响应；它还在运行吗？",
    ],
    WORKER_NEEDS_POSTGRES:
      "内置数据库的派发任务在 `aftersales start` 中运行；要单独运行 worker，请设置 DATABASE_URL 使用 PostgreSQL",
    DEMO_ALREADY_LOADED: [
      "演示数据已经加载过了（店铺 {shops} 已存在）；如需重新加载，请使用空数据库",
      "演示数据已经加载过了",
    ],
    INVALID_DEMO_SIZE: "演示订单数必须是正整数",
    HISTORY_ALREADY_LOADED: [
      "店铺 {shop} 已有订单或历史客户；请生成到空店铺（换一个 --shop）或空数据库",
      "该店铺已有订单或历史客户",
    ],
    INVALID_HISTORY_SIZE: "历史数据的售后单数必须是 1 到 1,000,000 之间的整数",
    INVALID_HISTORY_SEED: "随机种子（--seed）必须是整数",
  },
};
