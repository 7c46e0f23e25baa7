import { afterAll, beforeAll, describe, expect, it, test } from "vitest";
import { kuaidi100Tracking } from "../../src/channels/logistics/kuaidi100/adapter.ts";
import {
  beijingToIso,
  KUAIDI100_STATES,
  kuaidi100Carrier,
  pushSign,
  querySign,
  readResult,
  stateOf,
  statusOfState,
  toBeijingTime,
} from "../../src/channels/logistics/kuaidi100/protocol.ts";
import {
  type Kuaidi100Simulator,
  startKuaidi100Simulator,
} from "../../src/channels/logistics/kuaidi100/simulator.ts";
import {
  PushRejectedError,
  type TrackingProvider,
  TrackingRejectedError,
  TrackingUnavailableError,
} from "../../src/channels/logistics/tracking.ts";
import { LOGISTICS_STATUSES, type LogisticsStatus } from "../../src/domain/order.ts";

/** Every Kuaidi100 state and sub-state we list, and what it means for us: the table under test. */
const EXPECTED: [code: string, name: string, status: LogisticsStatus][] = [
  ["0", "在途", "in_transit"],
  ["1001", "到达派件城市", "in_transit"],
  ["1002", "干线", "in_transit"],
  ["1003", "转递", "in_transit"],
  ["1", "揽收", "shipped"],
  ["101", "已下单", "shipped"],
  ["102", "待揽收", "shipped"],
  ["103", "已揽收", "shipped"],
  ["2", "疑难", "exception"],
  ["3", "签收", "delivered"],
  ["301", "本人签收", "delivered"],
  ["302", "派件异常后签收", "delivered"],
  ["303", "代签", "delivered"],
  ["304", "投柜或站签收", "delivered"],
  ["4", "退签", "returned_to_sender"],
  ["401", "已销单", "exception"],
  ["5", "派件", "in_transit"],
  ["501", "投柜或驿站", "in_transit"],
  ["6", "退回", "intercepted"],
  ["7", "转投", "in_transit"],
  ["8", "清关", "in_transit"],
  ["10", "待清关", "in_transit"],
  ["11", "清关中", "in_transit"],
  ["12", "已清关", "in_transit"],
  ["13", "清关异常", "exception"],
  ["14", "拒签", "exception"],
];

describe("Kuaidi100 state table", () => {
  test.each(EXPECTED)("state %s (%s) → %s", (code, name, status) => {
    expect(stateOf(code)).toMatchObject({ name, status });
    expect(statusOfState(code)).toBe(status);
    expect(statusOfState(Number(code))).toBe(status);
  });

  it("lists exactly those codes, each mapped to a status we know", () => {
    expect(Object.keys(KUAIDI100_STATES).sort()).toEqual(EXPECTED.map(([c]) => c).sort());
    for (const s of Object.values(KUAIDI100_STATES)) expect(LOGISTICS_STATUSES).toContain(s.status);
    // Every main state 0–14 Kuaidi100 documents is there (9 is unused).
    for (const code of ["0", "1", "2", "3", "4", "5", "6", "7", "8", "10", "11", "12", "13", "14"])
      expect(KUAIDI100_STATES[code], code).toBeDefined();
  });

  test.each([
    ["205", "疑难", "exception", "2"],
    ["209", "疑难", "exception", "2"],
    ["305", "签收", "delivered", "3"],
    ["502", "派件", "in_transit", "5"],
    ["104", "揽收", "shipped", "1"],
    ["1004", "在途", "in_transit", "0"],
  ] as const)("an unlisted sub-state %s falls back to its main state %s", (code, name, status, parent) => {
    expect(stateOf(code)).toEqual({ name, status, parent });
  });

  test.each(["9", "15", "99", "abc", "", "20001"])(
    "an unknown code %j is an exception to look at",
    (code) => {
      expect(stateOf(code)).toBeUndefined();
      expect(statusOfState(code)).toBe("exception");
    },
  );
  it("no code at all is unknown too", () => {
    expect(statusOfState(undefined)).toBe("exception");
    expect(statusOfState(null)).toBe("exception");
  });
});

describe("Kuaidi100 signatures and wire helpers", () => {
  it("signs pushes MD5(param + salt) and queries MD5(param + key + customer), upper-case", () => {
    // MD5("abc") = 900150983cd24fb0d6963f7d28e17f72: the order of concatenation is what matters.
    expect(pushSign("ab", "c")).toBe("900150983CD24FB0D6963F7D28E17F72");
    expect(querySign("a", "b", "c")).toBe("900150983CD24FB0D6963F7D28E17F72");
    expect(pushSign("", "")).toBe("D41D8CD98F00B204E9800998ECF8427E");
  });

  it("reads Beijing times and writes them", () => {
    expect(beijingToIso("2026-11-01 16:05:09")).toBe("2026-11-01T16:05:09+08:00");
    expect(beijingToIso("2026-11-01 16:05")).toBe("2026-11-01T16:05:00+08:00");
    expect(beijingToIso("2026-13-01 16:05:09")).toBeUndefined();
    expect(beijingToIso("yesterday")).toBeUndefined();
    expect(toBeijingTime(new Date("2026-11-01T08:05:09.750Z"))).toBe("2026-11-01 16:05:09");
  });

  it("maps our carrier codes to Kuaidi100's, passing unknown ones on lower-cased", () => {
    expect(kuaidi100Carrier("SF")).toBe("shunfeng");
    expect(kuaidi100Carrier("zto")).toBe("zhongtong");
    expect(kuaidi100Carrier("YUNDA")).toBe("yunda");
    expect(kuaidi100Carrier("Annengwuliu")).toBe("annengwuliu");
    expect(kuaidi100Carrier("SF", { SF: "shunfengkuaiyun" })).toBe("shunfengkuaiyun");
  });

  it("gives each scan its own status: code first, then name, then the parcel's state for the newest", () => {
    const snap = readResult({
      message: "ok",
      state: "5",
      status: "200",
      condition: "F00",
      ischeck: "0",
      com: "zhongtong",
      nu: "ZT1",
      data: [
        { context: "派件中", time: "2026-11-03 09:00:00", ftime: "2026-11-03 09:00:00" },
        { context: "到达上海", time: "2026-11-02 20:00:00", status: "在途" },
        { context: "已揽收", time: "2026-11-01 18:00:00", statusCode: "103", areaName: "广东,深圳市" },
        { context: "无名", time: "2026-11-01 17:00:00" },
      ],
    });
    expect(snap).toEqual({
      providerCarrier: "zhongtong",
      trackingNo: "ZT1",
      state: "5",
      status: "in_transit",
      signed: false,
      scans: [
        { at: "2026-11-03T09:00:00+08:00", status: "in_transit", description: "派件中" },
        { at: "2026-11-02T20:00:00+08:00", status: "in_transit", description: "到达上海" },
        {
          at: "2026-11-01T18:00:00+08:00",
          status: "shipped",
          description: "已揽收",
          location: "广东,深圳市",
        },
        { at: "2026-11-01T17:00:00+08:00", status: "in_transit", description: "无名" },
      ],
    });
    expect(readResult({ com: "zhongtong", nu: "ZT1", data: [{ context: "x", time: "soon" }] })).toBe(
      "data[0].time is not a time",
    );
    expect(readResult({ com: "zhongtong", data: [] })).toBe("lastResult.nu is missing");
  });
});

describe("Kuaidi100 adapter against the simulator", () => {
  let sim: Kuaidi100Simulator;
  let k100: TrackingProvider;
  const KEY = "test-key";
  const CUSTOMER = "TESTCUSTOMER";
  const SALT = "test-salt";

  beforeAll(async () => {
    sim = await startKuaidi100Simulator({ key: KEY, customer: CUSTOMER });
    k100 = kuaidi100Tracking({
      baseUrl: sim.url,
      key: KEY,
      customer: CUSTOMER,
      salt: SALT,
      // Nobody listens there: these tests look at the API, not at pushes.
      callbackUrl: "http://127.0.0.1:9/callbacks/logistics/kuaidi100",
      timeoutMs: 2_000,
    });
  });
  afterAll(() => sim.close());

  it("subscribes with our key; a repeat is 'already subscribed', not an error", async () => {
    expect(await k100.subscribe("ZTO", "ZT100")).toMatchObject({
      status: "subscribed",
      providerCarrier: "zhongtong",
    });
    expect(await k100.subscribe("ZTO", "ZT100")).toMatchObject({ status: "already_subscribed" });
    expect(sim.parcels().find((p) => p.nu === "ZT100")).toMatchObject({
      com: "zhongtong",
      subscribed: true,
      callbackurl: "http://127.0.0.1:9/callbacks/logistics/kuaidi100",
    });
  });

  it("says why a subscription was refused, and tells trouble from refusal", async () => {
    const wrongKey = kuaidi100Tracking({
      baseUrl: sim.url,
      key: "stolen",
      customer: CUSTOMER,
      salt: SALT,
      callbackUrl: "http://127.0.0.1:9/cb",
    });
    const refused = await wrongKey.subscribe("YTO", "YT1").catch((e) => e);
    expect(refused).toBeInstanceOf(TrackingRejectedError);
    expect(refused).toMatchObject({ code: "600" });
    // SF wants a phone number; with it the parcel is taken.
    expect(await k100.subscribe("SF", "SF1").catch((e) => e)).toMatchObject({ code: "700" });
    expect(await k100.subscribe("SF", "SF1", { phone: "13800001234" })).toMatchObject({
      status: "subscribed",
    });
    sim.faults({ failNext: 1 });
    expect(await k100.subscribe("YTO", "YT2").catch((e) => e)).toBeInstanceOf(TrackingUnavailableError);
    expect(await k100.subscribe("YTO", "YT2")).toMatchObject({ status: "subscribed" });
  });

  it("queries with MD5(param + key + customer): nothing yet, then the parcel's scans", async () => {
    expect(await k100.query("YTO", "YT3")).toEqual({
      found: false,
      code: "500",
      message: "查询无结果，请隔段时间再查",
    });
    await sim.advance("yuantong", "YT3");
    await sim.advance("yuantong", "YT3");
    const r = await k100.query("YTO", "YT3");
    expect(r.found).toBe(true);
    if (!r.found) return;
    expect(r.snapshot).toMatchObject({ providerCarrier: "yuantong", trackingNo: "YT3", state: "1002" });
    expect(r.snapshot.status).toBe("in_transit");
    expect(r.snapshot.scans.map((s) => s.status)).toEqual(["in_transit", "shipped"]);
    const forged = kuaidi100Tracking({
      baseUrl: sim.url,
      key: "not-the-key",
      customer: CUSTOMER,
      salt: SALT,
      callbackUrl: "http://127.0.0.1:9/cb",
    });
    expect(await forged.query("YTO", "YT3").catch((e) => e)).toMatchObject({ code: "503" });
  });

  describe("parsePush", () => {
    const param = JSON.stringify({
      status: "polling",
      billstatus: "",
      message: "",
      autoCheck: "0",
      comOld: "",
      comNew: "",
      lastResult: {
        message: "ok",
        state: "0",
        status: "200",
        condition: "F00",
        ischeck: "0",
        com: "zhongtong",
        nu: "ZT9",
        data: [{ context: "到达上海", time: "2026-11-02 20:00:00", statusCode: "1001" }],
      },
    });
    const form = (p: Record<string, string>) => new URLSearchParams(p).toString();

    it("takes a push signed with our salt", () => {
      const push = k100.parsePush(form({ param, sign: pushSign(param, SALT) }));
      expect(push).toMatchObject({
        monitor: "polling",
        providerCarrier: "zhongtong",
        trackingNo: "ZT9",
        snapshot: { status: "in_transit", scans: [{ status: "in_transit", description: "到达上海" }] },
      });
      expect(push.notificationId).toMatch(/^[0-9a-f]{64}$/);
      // The same push read twice is the same notification.
      expect(k100.parsePush({ param, sign: pushSign(param, SALT).toLowerCase() }).notificationId).toBe(
        push.notificationId,
      );
    });

    const reject = (body: string) => {
      try {
        k100.parsePush(body);
      } catch (e) {
        expect(e).toBeInstanceOf(PushRejectedError);
        return (e as PushRejectedError).code;
      }
      return "taken";
    };
    it("rejects unsigned, tampered, foreign-salted and malformed pushes with a clear code", () => {
      expect(reject(form({ param }))).toBe("SIGNATURE_MISSING");
      expect(reject(form({ param, sign: "" }))).toBe("SIGNATURE_MISSING");
      expect(
        reject(form({ param: param.replace('"state":"0"', '"state":"3"'), sign: pushSign(param, SALT) })),
      ).toBe("SIGNATURE_INVALID");
      expect(reject(form({ param, sign: pushSign(param, "someone-else") }))).toBe("SIGNATURE_INVALID");
      expect(reject(form({ sign: "X" }))).toBe("PUSH_MALFORMED");
      expect(reject(form({ param: "{nope", sign: pushSign("{nope", SALT) }))).toBe("PUSH_MALFORMED");
      const odd = JSON.stringify({ status: "exploded" });
      expect(reject(form({ param: odd, sign: pushSign(odd, SALT) }))).toBe("PUSH_MALFORMED");
    });

    it("follows a carrier code Kuaidi100 corrected (autoCheck=1)", () => {
      const corrected = JSON.stringify({
        ...JSON.parse(param),
        autoCheck: "1",
        comOld: "yuantong",
        comNew: "zhongtong",
      });
      expect(k100.parsePush({ param: corrected, sign: pushSign(corrected, SALT) })).toMatchObject({
        providerCarrier: "zhongtong",
        previousCarrier: "yuantong",
      });
    });
  });
});
