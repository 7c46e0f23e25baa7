import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { NotificationRejectedError } from "../../src/channels/payments/channel.ts";
import {
  caseFromReturn,
  connectShopify,
  parseShopifyWebhook,
} from "../../src/channels/platforms/shopify/adapter.ts";
import {
  DECLINE_REASONS,
  declineReasonOf,
  graphqlPath,
  minor,
  operationName,
  RETURN_REASONS,
  RETURN_STATUSES,
  refundFromRest,
  returnReasonOf,
  type ShopifyReturn,
  suggestedRefund,
  throttleWaitMs,
  WEBHOOK_HEADERS,
  webhookHmac,
} from "../../src/channels/platforms/shopify/protocol.ts";

/** Shopify samples: Admin GraphQL docs responses and shopify_python_api REST fixtures (see PROVENANCE.csv). */
const FIXTURES = new URL("../fixtures/payloads/shopify/", import.meta.url);
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as Record<string, unknown>;
const fixtureText = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");

const SECRET = "shpss_test_secret";
const credentials = { shop_domain: "demo.myshopify.com", access_token: "shpat_test", client_secret: SECRET };

/** A stand-in Admin API recording each GraphQL request (operation, variables, headers). */
let server: Server | undefined;
const requests: {
  path: string;
  op: string | undefined;
  variables: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}[] = [];
async function stub(
  answer: (op: string | undefined, variables: Record<string, unknown>) => unknown,
): Promise<string> {
  requests.length = 0;
  const srv = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => {
      text += c.toString("utf8");
    });
    req.on("end", () => {
      const body = JSON.parse(text) as { query: string; variables: Record<string, unknown> };
      const op = operationName(body.query);
      requests.push({ path: req.url ?? "", op, variables: body.variables, headers: req.headers });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(answer(op, body.variables)));
    });
  });
  server = srv;
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

const requestedReturn = (id: string): ShopifyReturn => ({
  id,
  status: "REQUESTED",
  createdAt: "2024-05-01T00:00:00Z",
  order: { id: "gid://shopify/Order/625362839", currencyCode: "USD", updatedAt: "2024-05-01T00:00:00Z" },
  returnLineItems: { nodes: [] },
});

describe("Shopify GraphQL fixtures", () => {
  it("returnApproveRequest: the adapter sends input {id} with the access token; the answer reads as OPEN", async () => {
    const answer = fixture("graphql_returnApproveRequest_response__shopify_docs_mirror.json");
    const url = await stub(() => ({ data: answer }));
    await connectShopify(credentials, { baseUrl: url }).agreeReturn(
      { externalId: "gid://shopify/Return/945000959", orderExternalId: "gid://shopify/Order/311154583" },
      { name: "x", phone: "x", address: "x" },
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      path: graphqlPath(),
      op: "ReturnApproveRequest",
      variables: { input: { id: "gid://shopify/Return/945000959" } },
      headers: { "x-shopify-access-token": "shpat_test" },
    });
    const ret = (answer.returnApproveRequest as { return: ShopifyReturn }).return;
    expect(caseFromReturn(ret, { currency: "USD" })).toMatchObject({
      externalId: "gid://shopify/Return/945000959",
      orderExternalId: "gid://shopify/Order/311154583",
      returnName: "#1001-R1",
      state: "awaiting_return",
      platformStatus: "OPEN",
      type: "return_refund",
    });
    // The mutation selects only the line ids: one line, nothing more claimed about it.
    expect(caseFromReturn(ret, { currency: "USD" }).items).toHaveLength(1);
  });

  it("returnDeclineRequest: a refusal naming RETURN_PERIOD_ENDED sends that reason; the answer reads as refused", async () => {
    const answer = fixture("graphql_returnDeclineRequest_response__shopify_docs_mirror.json");
    const url = await stub((op) =>
      op === "AftersalesReturn"
        ? { data: { return: requestedReturn("gid://shopify/Return/945000960") } }
        : { data: answer },
    );
    const client = connectShopify(credentials, { baseUrl: url });
    await client.refuseRefund(
      { externalId: "gid://shopify/Return/945000960", orderExternalId: "" },
      { reason: null, text: "RETURN_PERIOD_ENDED" },
    );
    expect(requests.map((r) => r.op)).toEqual(["AftersalesReturn", "ReturnDeclineRequest"]);
    expect(requests[1]?.variables).toEqual({
      input: {
        id: "gid://shopify/Return/945000960",
        declineReason: "RETURN_PERIOD_ENDED",
        notifyCustomer: true,
      },
    });
    await client.refuseRefund(
      { externalId: "gid://shopify/Return/945000960", orderExternalId: "" },
      { reason: null, text: "Final sale item — 清仓商品不退不换" },
    );
    expect(requests[3]?.variables).toEqual({
      input: {
        id: "gid://shopify/Return/945000960",
        declineReason: "FINAL_SALE",
        declineNote: "Final sale item — 清仓商品不退不换",
        notifyCustomer: true,
      },
    });
    const ret = (answer.returnDeclineRequest as { return: ShopifyReturn }).return;
    expect(caseFromReturn(ret, { currency: "USD" })).toMatchObject({
      state: "refused",
      platformStatus: "DECLINED",
      decline: { reason: "RETURN_PERIOD_ENDED", note: null },
      orderExternalId: "gid://shopify/Order/625362839",
    });
  });

  it("returnCreate: return line items read their reason definition (too-small) and note", () => {
    const answer = fixture("graphql_returnCreate_response__shopify_docs_mirror.json");
    const ret = (answer.returnCreate as { return: ShopifyReturn }).return;
    expect(returnReasonOf(null, "too-small")).toBe("size_fit");
    expect(caseFromReturn({ ...ret, status: "OPEN" }, { currency: "USD" })).toMatchObject({
      externalId: "gid://shopify/Return/963805100",
      reason: "size_fit",
      reasonText: "Too Small / The size doesn't fit properly",
      items: [{ quantity: 1 }],
      requestedAmount: null,
    });
  });

  it("a userError comes back as a refusal with Shopify's code; a GraphQL error as a plain refusal", async () => {
    const url = await stub((op) =>
      op === "ReturnApproveRequest"
        ? {
            data: {
              returnApproveRequest: {
                return: null,
                userErrors: [{ code: "INVALID_STATE", field: ["id"], message: "Return is not approvable." }],
              },
            },
          }
        : { errors: [{ message: "Field 'x' doesn't exist", extensions: { code: "undefinedField" } }] },
    );
    const client = connectShopify(credentials, { baseUrl: url });
    await expect(
      client.agreeReturn({ externalId: "1", orderExternalId: "" }, { name: "", phone: "", address: "" }),
    ).rejects.toMatchObject({
      kind: "invalid_state",
      code: "INVALID_STATE",
    });
    await expect(client.getOrder("1")).rejects.toMatchObject({ kind: "rejected", code: "undefinedField" });
  });
});

describe("Shopify REST refund fixtures", () => {
  it("refund.json: the refund's lines and money in minor units", () => {
    expect(refundFromRest(fixture("refund__shopify_python_api_fixture.json"), "USD")).toEqual({
      refundId: "gid://shopify/Refund/509562969",
      orderExternalId: "gid://shopify/Order/450789469",
      returnExternalId: null,
      createdAt: "2016-06-20T17:35:06.000Z",
      note: "it broke during shipping",
      amount: 20_900,
      currency: "USD",
      lines: [
        { lineExternalId: "gid://shopify/LineItem/703073504", quantity: 1, restockType: null },
        { lineExternalId: "gid://shopify/LineItem/466157049", quantity: 1, restockType: null },
      ],
      shippingRefund: 0,
    });
  });

  it("refund_calculate.json: Shopify's suggestion, exact to the cent", () => {
    expect(suggestedRefund(fixture("refund_calculate__shopify_python_api_fixture.json"), "USD")).toEqual({
      shipping: { amount: 500, tax: 0, maximumRefundable: 500 },
      lines: [
        {
          lineExternalId: "gid://shopify/LineItem/518995019",
          quantity: 1,
          price: 19_900,
          subtotal: 19_567,
          tax: 398,
          cartDiscount: 333,
        },
      ],
      transactions: [
        {
          parentId: "gid://shopify/OrderTransaction/801038806",
          amount: 4_194,
          maximumRefundable: 4_194,
          gateway: "bogus",
        },
      ],
    });
  });

  it("refunds/create webhook (the refund.json body): HMAC verified, its order named", () => {
    const body = JSON.stringify(fixture("refund__shopify_python_api_fixture.json").refund);
    const headers = {
      [WEBHOOK_HEADERS.hmac]: webhookHmac(SECRET, body),
      [WEBHOOK_HEADERS.topic]: "refunds/create",
      [WEBHOOK_HEADERS.webhookId]: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
      [WEBHOOK_HEADERS.shopDomain]: "demo.myshopify.com",
    };
    expect(parseShopifyWebhook(credentials, headers, body)).toEqual({
      messageId: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
      aftersales: [],
      orders: ["gid://shopify/Order/450789469"],
    });
    const withReturn = JSON.stringify({
      ...JSON.parse(body),
      return: { id: 945000959, admin_graphql_api_id: "gid://shopify/Return/945000959" },
    });
    expect(
      parseShopifyWebhook(
        credentials,
        { ...headers, [WEBHOOK_HEADERS.hmac]: webhookHmac(SECRET, withReturn) },
        withReturn,
      ),
    ).toMatchObject({
      aftersales: [
        { externalId: "gid://shopify/Return/945000959", orderExternalId: "gid://shopify/Order/450789469" },
      ],
    });
  });

  it("a tampered body, a wrong secret, no HMAC or another shop is refused and nothing returned", () => {
    const body = fixtureText("refund__shopify_python_api_fixture.json");
    const good = {
      [WEBHOOK_HEADERS.hmac]: webhookHmac(SECRET, body),
      [WEBHOOK_HEADERS.topic]: "refunds/create",
    };
    const code = (h: Record<string, string>, b: string, c: Record<string, string> = credentials) => {
      try {
        parseShopifyWebhook(c, h, b);
      } catch (e) {
        expect(e).toBeInstanceOf(NotificationRejectedError);
        return (e as NotificationRejectedError).code;
      }
      throw new Error("accepted");
    };
    expect(code(good, body.replace("209.00", "2090.00"))).toBe("SHOPIFY_SIGNATURE_INVALID");
    expect(code({ ...good, [WEBHOOK_HEADERS.hmac]: webhookHmac("wrong", body) }, body)).toBe(
      "SHOPIFY_SIGNATURE_INVALID",
    );
    expect(code({ [WEBHOOK_HEADERS.topic]: "refunds/create" }, body)).toBe("SHOPIFY_SIGNATURE_MISSING");
    expect(code({ ...good, [WEBHOOK_HEADERS.shopDomain]: "other.myshopify.com" }, body)).toBe(
      "SHOPIFY_SHOP_MISMATCH",
    );
    expect(code(good, body, { ...credentials, client_secret: "" })).toBe("SHOPIFY_CREDENTIALS_MISSING");
  });
});

describe("Shopify enums and money as tables", () => {
  const base: ShopifyReturn = { ...requestedReturn("gid://shopify/Return/1") };

  it("every ReturnStatus maps to a platform state (CLOSED by its refunds, OPEN by its tracking)", () => {
    expect(Object.keys(RETURN_STATUSES).sort()).toEqual([
      "CANCELED",
      "CLOSED",
      "DECLINED",
      "OPEN",
      "REQUESTED",
    ]);
    const state = (r: Partial<ShopifyReturn>) => caseFromReturn({ ...base, ...r }).state;
    expect(state({ status: "REQUESTED" })).toBe("requested");
    expect(state({ status: "OPEN" })).toBe("awaiting_return");
    expect(
      state({
        status: "OPEN",
        reverseFulfillmentOrders: {
          nodes: [
            {
              reverseDeliveries: {
                nodes: [{ deliverable: { tracking: { number: "1Z9", carrierName: "UPS" } } }],
              },
            },
          ],
        },
      }),
    ).toBe("return_shipped");
    expect(state({ status: "DECLINED" })).toBe("refused");
    expect(state({ status: "CLOSED" })).toBe("completed");
    expect(
      state({
        status: "CLOSED",
        refunds: {
          nodes: [
            {
              id: "gid://shopify/Refund/1",
              totalRefundedSet: { shopMoney: { amount: "5.00", currencyCode: "USD" } },
            },
          ],
        },
      }),
    ).toBe("refunded");
    expect(state({ status: "CANCELED" })).toBe("cancelled");
    expect(() => caseFromReturn({ ...base, status: "ARCHIVED" as never })).toThrow(
      expect.objectContaining({ code: "UNKNOWN_STATUS" }),
    );
  });

  it("every ReturnReason maps to a reason code", () => {
    expect(RETURN_REASONS).toEqual({
      COLOR: "changed_mind",
      DEFECTIVE: "quality",
      NOT_AS_DESCRIBED: "not_as_described",
      OTHER: "other",
      SIZE_TOO_LARGE: "size_fit",
      SIZE_TOO_SMALL: "size_fit",
      STYLE: "changed_mind",
      UNKNOWN: "other",
      UNWANTED: "changed_mind",
      WRONG_ITEM: "wrong_item",
    });
    for (const reason of Object.keys(RETURN_REASONS))
      expect(returnReasonOf(reason, null)).toBe(RETURN_REASONS[reason]);
    expect(returnReasonOf("OTHER", "damaged-or-defective")).toBe("damaged");
  });

  it("decline reasons: FINAL_SALE, RETURN_PERIOD_ENDED, otherwise OTHER", () => {
    expect(DECLINE_REASONS).toEqual(["FINAL_SALE", "RETURN_PERIOD_ENDED", "OTHER"]);
    expect(declineReasonOf("FINAL_SALE")).toBe("FINAL_SALE");
    expect(declineReasonOf("The 30-day return window expired")).toBe("RETURN_PERIOD_ENDED");
    expect(declineReasonOf("已过售后期")).toBe("RETURN_PERIOD_ENDED");
    expect(declineReasonOf("Item shows signs of use")).toBe("OTHER");
  });

  it("money strings convert exactly per currency; more decimals than the currency has is refused", () => {
    expect(minor({ shopMoney: { amount: "195.67", currencyCode: "USD" } }, "USD")).toBe(19_567);
    expect(minor({ shopMoney: { amount: "0.10", currencyCode: "EUR" } }, "EUR")).toBe(10);
    expect(minor({ shopMoney: { amount: "1200", currencyCode: "JPY" } }, "JPY")).toBe(1_200);
    expect(minor({ shopMoney: { amount: "-5.00", currencyCode: "USD" } }, "USD")).toBe(-500);
    expect(() => minor({ shopMoney: { amount: "1.005", currencyCode: "USD" } }, "USD")).toThrow(
      expect.objectContaining({ code: "AMOUNT_PRECISION" }),
    );
  });

  it("a throttled call waits until the cost bucket holds the requested cost", () => {
    expect(
      throttleWaitMs({
        requestedQueryCost: 110,
        throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 10, restoreRate: 100 },
      }),
    ).toBe(1_000);
    expect(
      throttleWaitMs({
        requestedQueryCost: 10,
        throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 500, restoreRate: 100 },
      }),
    ).toBe(50);
    expect(throttleWaitMs(undefined, 700)).toBe(700);
  });
});
