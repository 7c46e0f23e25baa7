import { DatabaseOutlined, ScanOutlined } from "@ant-design/icons";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Card, Col, Input, type InputRef, Row, Space } from "antd";
import { type KeyboardEvent, useCallback, useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { api, call } from "../../shared/api.ts";
import { label, useScreenText } from "../../shared/i18n.ts";
import { keys } from "../../shared/keys.ts";
import { ToneTag } from "../../shared/tone.tsx";
import { audioState, beep, type Tone } from "./beep.ts";
import {
  type Candidate,
  findCase,
  inspect,
  receiptLines,
  receive,
  receiveBatch,
  recordParcel,
  type ScanKind,
  scanKey,
} from "./data.ts";
import { Feedback, type LogEntry, ShiftLog, ShortcutBar } from "./feedback.tsx";
import { ScreenHeader } from "./header.tsx";
import { StationPanel } from "./panels.tsx";
import { OpenParcels } from "./parcels.tsx";
import {
  CONDITION_KEYS,
  FINDING_FIRST_DIGIT,
  FINDING_KEYS,
  GRADE_KEYS,
  IDLE,
  move,
  type Panel,
  setCondition,
  setFinding,
  setGrade,
  toggleArrived,
} from "./station.ts";
import { TEXT } from "./text.ts";
import { countUnit, inspectionLines, qcUnits, receiptBody, receiveUnits } from "./units.ts";

/** Elements that may keep the cursor: the few text fields a person fills in (无头件, a deduction). */
const keepsFocus = (el: Element | null) =>
  el instanceof HTMLTextAreaElement ||
  (el instanceof HTMLInputElement && ["text", "search", "number"].includes(el.type) && !el.readOnly);

/**
 * 退货入库: the scan station. Built for a keyboard-wedge scanner (it types the code and Enter): the cursor
 * lives in the scan field; a scan opens the parcel's case (or an unidentified parcel), the keyboard marks
 * each unit, Enter confirms, Esc cancels; every outcome is heard (a chirp or a buzz) and seen.
 */
export default function WarehouseStation() {
  const { t } = useScreenText("warehouse", TEXT);
  const client = useQueryClient();
  const scan = useRef<InputRef>(null);
  // The panel lives in a ref too: scans and keys run one after another (a scanner is faster than the
  // server), each reading what the one before left.
  const panelRef = useRef<Panel>(IDLE);
  const [panel, setPanelState] = useState<Panel>(IDLE);
  const setPanel = useCallback((p: Panel) => {
    panelRef.current = p;
    setPanelState(p);
  }, []);
  const [feedback, setFeedback] = useState<{ tone: Tone; text: string; n: number }>({
    tone: "info",
    text: "",
    n: 0,
  });
  const [log, setLog] = useState<LogEntry[]>([]);
  const [busy, setBusy] = useState(false);
  const [scanned, setScanned] = useState("");
  const chain = useRef<Promise<void>>(Promise.resolve());

  const states = useQuery({
    queryKey: keys.lifecycle(),
    queryFn: () => call(api.GET("/api/v1/lifecycle")),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const statusText = (s: string) => label(states.data?.states.find((x) => x.status === s)?.label) || s;

  const tell = useCallback((tone: Tone, text: string, entry?: Omit<LogEntry, "at" | "tone" | "text">) => {
    beep(tone);
    setFeedback((f) => ({ tone, text, n: f.n + 1 }));
    if (entry) setLog((l) => [{ at: new Date(), tone, text, ...entry }, ...l].slice(0, 50));
  }, []);
  const failed = (e: unknown, code: string) =>
    tell("error", t("feedback.failed", { message: (e as Error).message }), { code, caseId: null });

  const focusScan = useCallback(() => scan.current?.focus({ preventScroll: true }), []);
  useEffect(() => {
    focusScan();
    setFeedback((f) => ({ ...f, text: t("feedback.ready") }));
  }, [focusScan, t]);

  /** Runs station work in order, one step at a time. */
  const queue = (work: () => Promise<void> | void) => {
    chain.current = chain.current
      .then(async () => {
        setBusy(true);
        await work();
      })
      .catch((e) => failed(e, ""))
      .finally(() => {
        setBusy(false);
        // Whatever happened, the next scan goes to the scan field.
        if (!keepsFocus(document.activeElement)) focusScan();
      });
  };

  // --- Opening what a scan found --------------------------------------------------------------------

  const openReceive = (code: string, matchedBy: ScanKind, c: Candidate) => {
    const counting = matchedBy === "sku";
    let p: Extract<Panel, { kind: "receive" }> = {
      kind: "receive",
      code,
      matchedBy,
      candidate: c,
      units: receiveUnits(c, counting),
      selected: 0,
      counting,
      key: scanKey("receive"),
    };
    if (counting) {
      const counted = countUnit(p.units, code);
      if (counted && "units" in counted) p = { ...p, units: counted.units, selected: counted.index };
    }
    setPanel(p);
    tell("ok", t("feedback.found", { id: c.caseId }));
  };

  const openQc = async (caseId: number, code: string): Promise<boolean> => {
    const lines = await receiptLines(caseId);
    const units = qcUnits(lines);
    if (units.length === 0) return false;
    setPanel({
      kind: "qc",
      caseId,
      code,
      currency: lines.currency,
      units,
      selected: 0,
      key: scanKey("qc"),
    });
    return true;
  };

  const lookUp = async (code: string) => {
    setFeedback((f) => ({ ...f, tone: "info", text: t("feedback.looking", { code }) }));
    const found = await findCase(code);
    const [only] = found.candidates;
    if (found.candidates.length === 1 && only) return openReceive(code, found.matchedBy, only);
    if (found.candidates.length > 1) {
      setPanel({
        kind: "choose",
        code,
        matchedBy: found.matchedBy,
        candidates: found.candidates,
        selected: 0,
      });
      return tell("info", t("feedback.several", { code, count: found.candidates.length }));
    }
    if (found.parcelKnown) {
      // Received before: what is left is QC.
      for (const id of found.parcelCases) {
        if (await openQc(id, code)) return tell("info", t("feedback.qcPending", { code, id }));
      }
      return tell(
        "error",
        t("feedback.alreadyDone", { code, cases: found.parcelCases.map((id) => `#${id}`).join(", ") }),
        {
          code,
          caseId: found.parcelCases[0] ?? null,
        },
      );
    }
    setPanel({
      kind: "unidentified",
      code,
      key: scanKey("parcel"),
      trackingNo: found.matchedBy === "sku" && /^[A-Za-z0-9-]{6,}$/.test(code) ? code : "",
      carrier: "",
      contents: "",
      note: "",
    });
    tell("error", t("feedback.unknown", { code }));
  };

  /** A scanned code: looked up, counted into the open parcel, or queued in a batch. */
  const onScan = async (code: string) => {
    const p = panelRef.current;
    if (p.kind === "batch") {
      const fresh = p.results.length > 0 ? [] : p.codes;
      if (fresh.includes(code)) return tell("error", t("feedback.queuedTwice", { code }));
      const codes = [...fresh, code];
      setPanel({
        ...p,
        codes,
        selected: codes.length - 1,
        results: [],
        key: p.results.length ? scanKey("batch") : p.key,
      });
      return tell("info", t("feedback.queued", { code, count: codes.length }));
    }
    if (p.kind === "receive") {
      const counted = countUnit(p.counting ? p.units : p.units.map((u) => ({ ...u, arrived: false })), code);
      if (counted && "units" in counted) {
        setPanel({ ...p, units: counted.units, selected: counted.index, counting: true });
        return tell("info", t("feedback.counted", { sku: code, n: counted.n }));
      }
      if (counted) return tell("error", t("feedback.tooMany", { sku: code, n: counted.full }));
      return tell("error", t("feedback.finishFirst"));
    }
    if (p.kind === "qc") {
      // A unit's barcode selects the next unit of it.
      const n = p.units.length;
      for (let i = 1; i <= n; i++) {
        const at = (p.selected + i) % n;
        if (p.units[at]?.sku === code) {
          setPanel({ ...p, selected: at });
          return tell("info", t("feedback.counted", { sku: code, n: p.units[at]?.n ?? 1 }));
        }
      }
      return tell("error", t("feedback.finishFirst"));
    }
    if (p.kind !== "idle") return tell("error", t("feedback.finishFirst"));
    try {
      await lookUp(code);
    } catch (e) {
      failed(e, code);
    }
  };

  // --- Confirming -----------------------------------------------------------------------------------

  const confirmReceive = async (p: Extract<Panel, { kind: "receive" }>) => {
    const lines = receiptBody(p.units);
    if (lines.length === 0) return tell("error", t("feedback.nothingArrived"));
    const id = p.candidate.caseId;
    try {
      const res = await receive({ caseId: id, code: p.code, kind: p.matchedBy, lines, key: p.key });
      const count = lines.reduce((s, l) => s + l.quantity, 0);
      const left = p.units.length - count;
      const status = statusText(res.status);
      const text =
        left > 0
          ? t("feedback.receivedPartial", { id, count, left, status })
          : t("feedback.received", { id, count, status });
      tell("ok", text, { code: p.code, caseId: id });
      if (!(await openQc(id, p.code))) setPanel(IDLE);
    } catch (e) {
      failed(e, p.code);
    }
  };

  const confirmQc = async (p: Extract<Panel, { kind: "qc" }>) => {
    try {
      const res = await inspect(p.caseId, { key: p.key, lines: inspectionLines(p.units) });
      const text = res.caseResult
        ? t("feedback.graded", { id: p.caseId, status: statusText(res.status) })
        : t("feedback.gradedPart", { id: p.caseId, count: p.units.length });
      tell("ok", text, { code: p.code, caseId: p.caseId });
      setPanel(IDLE);
    } catch (e) {
      failed(e, p.code);
    }
  };

  const confirmParcel = async (p: Extract<Panel, { kind: "unidentified" }>) => {
    try {
      const res = await recordParcel({
        scanned: p.code,
        key: p.key,
        ...(p.trackingNo.trim() ? { trackingNo: p.trackingNo.trim() } : {}),
        ...(p.carrier.trim() ? { carrier: p.carrier.trim() } : {}),
        ...(p.contents.trim() ? { contents: p.contents.trim() } : {}),
        ...(p.note.trim() ? { note: p.note.trim() } : {}),
      });
      tell("ok", t("feedback.recorded", { id: res.id, code: p.code }), { code: p.code, caseId: null });
      setPanel(IDLE);
      // No case changed, so no live event tells the list: refresh it here.
      void client.invalidateQueries({ queryKey: keys.parcels() });
      focusScan();
    } catch (e) {
      failed(e, p.code);
    }
  };

  const confirmBatch = async (p: Extract<Panel, { kind: "batch" }>) => {
    if (p.codes.length === 0 || p.results.length > 0) return tell("error", t("feedback.batchEmpty"));
    try {
      const res = await receiveBatch(p.codes, p.key);
      const results = res.results.map((r) => {
        const code = p.codes[r.index] ?? "";
        const out = r.result;
        if (!r.ok || !out)
          return { code, outcome: "error", caseId: null, text: r.error?.message ?? "", ok: false };
        if (out.outcome === "received")
          return { code, outcome: "received", caseId: out.caseId, text: statusText(out.status), ok: true };
        if (out.outcome === "choose")
          return {
            code,
            outcome: "choose",
            caseId: null,
            text: out.candidates.map((c) => `#${c.caseId}`).join(", "),
            ok: false,
          };
        return { code, outcome: "unidentified", caseId: null, text: `#${out.parcelId}`, ok: false };
      });
      const ok = results.filter((r) => r.ok).length;
      setPanel({ ...p, results, selected: 0 });
      tell(
        ok === results.length ? "ok" : "error",
        t("feedback.batchDone", { ok, failed: results.length - ok }),
        {
          code: p.codes.join(" "),
          caseId: null,
        },
      );
      void client.invalidateQueries({ queryKey: keys.parcels() });
    } catch (e) {
      failed(e, "");
    }
  };

  const confirm = async () => {
    const p = panelRef.current;
    if (p.kind === "receive") return confirmReceive(p);
    if (p.kind === "qc") return confirmQc(p);
    if (p.kind === "unidentified") return confirmParcel(p);
    if (p.kind === "batch") return confirmBatch(p);
    if (p.kind === "choose") {
      const c = p.candidates[p.selected];
      if (c) openReceive(p.code, p.matchedBy, c);
    }
  };

  const cancel = () => {
    const p = panelRef.current;
    if (p.kind === "idle") return;
    setPanel(IDLE);
    tell("info", t("feedback.cancelled"));
    focusScan();
  };

  // --- Keys -----------------------------------------------------------------------------------------

  /** Alt+digit: the numbered choice for the selected row; with Shift, for every row. */
  const choose = (digit: number, all: boolean) => {
    const p = panelRef.current;
    if (p.kind === "receive") {
      const c = CONDITION_KEYS[digit - 1];
      if (c) setPanel(setCondition(p, c, all));
    } else if (p.kind === "qc") {
      const g = GRADE_KEYS[digit - 1];
      const f = FINDING_KEYS[digit - FINDING_FIRST_DIGIT];
      if (g) {
        const next = setGrade(p, g, all);
        if (g === "pass" && !all && next.units[p.selected]?.grade !== "pass")
          return tell("error", t("feedback.cannotPass"));
        setPanel(next);
      } else if (f) setPanel(setFinding(p, f, all));
    } else if (p.kind === "choose" && p.candidates[digit - 1]) {
      setPanel({ ...p, selected: digit - 1 });
    }
  };

  const toggleBatch = () => {
    const p = panelRef.current;
    if (p.kind === "batch") return setPanel(IDLE);
    if (p.kind !== "idle") return tell("error", t("feedback.finishFirst"));
    setPanel({ kind: "batch", codes: [], selected: 0, key: scanKey("batch"), results: [] });
    tell("info", t("batchOn"));
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.nativeEvent.isComposing) return;
    const typed = e.currentTarget.value;
    const empty = typed.trim() === "";
    if (e.key === "Enter") {
      e.preventDefault();
      const code = typed.trim();
      setScanned("");
      queue(() => (code ? onScan(code) : confirm()));
    } else if (e.key === "Escape") {
      e.preventDefault();
      setScanned("");
      queue(cancel);
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      queue(() => setPanel(move(panelRef.current, e.key === "ArrowDown" ? 1 : -1)));
    } else if (e.altKey && /^Digit[0-9]$/.test(e.code)) {
      e.preventDefault();
      const digit = Number(e.code.slice(5));
      const all = e.shiftKey;
      queue(() => choose(digit, all));
    } else if (e.altKey && e.code === "KeyB") {
      e.preventDefault();
      queue(toggleBatch);
    } else if (e.key === "Delete" && empty) {
      e.preventDefault();
      queue(() => {
        const p = panelRef.current;
        if (p.kind === "receive") setPanel(toggleArrived(p));
        if (p.kind === "batch" && p.results.length === 0) {
          const codes = p.codes.filter((_, i) => i !== p.selected);
          setPanel({ ...p, codes, selected: Math.min(p.selected, Math.max(codes.length - 1, 0)) });
        }
      });
    }
  };

  // The cursor comes back to the scan field when a click leaves it elsewhere (a row, a button) or it falls
  // to nothing, except in the few fields a person types into. Tab still walks the page (no keyboard
  // trap); a character typed while elsewhere goes to the scan field, so no scan is lost.
  useEffect(() => {
    let pointer = false;
    const onPointer = () => {
      pointer = true;
    };
    const onFocusOut = () =>
      setTimeout(() => {
        const now = document.activeElement;
        if (keepsFocus(now) || document.querySelector(".ant-select-open")) return;
        if (pointer || !now || now === document.body) focusScan();
        pointer = false;
      }, 0);
    const onKey = (e: globalThis.KeyboardEvent) => {
      pointer = false;
      if (keepsFocus(document.activeElement) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key.length === 1 && e.key !== " ") focusScan();
    };
    document.addEventListener("pointerdown", onPointer, true);
    document.addEventListener("focusout", onFocusOut);
    window.addEventListener("keydown", onKey, true);
    return () => {
      document.removeEventListener("pointerdown", onPointer, true);
      document.removeEventListener("focusout", onFocusOut);
      window.removeEventListener("keydown", onKey, true);
    };
  }, [focusScan]);

  return (
    <div data-testid="scan-station" data-panel={panel.kind} data-busy={busy} data-audio={audioState()}>
      <ScreenHeader id="warehouse-title" title={t("title")} subtitle={t("subtitle")}>
        <Space>
          <ToneTag tone={panel.kind === "batch" ? "purple" : "blue"} testId="station-mode">
            {t(panel.kind === "batch" ? "mode.batch" : "mode.scan")}
          </ToneTag>
          <Link to="/warehouse/inventory">
            <DatabaseOutlined /> {t("inventoryLink")}
          </Link>
        </Space>
      </ScreenHeader>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={16}>
          <Card size="small">
            <Input
              ref={scan}
              size="large"
              id="scan"
              aria-label={t("scanLabel")}
              aria-describedby="station-feedback"
              placeholder={t("scanPlaceholder")}
              prefix={<ScanOutlined aria-hidden />}
              autoComplete="off"
              spellCheck={false}
              value={scanned}
              onChange={(e) => setScanned(e.target.value)}
              onKeyDown={onKeyDown}
              style={{ fontSize: 20 }}
            />
            <Feedback tone={feedback.tone} text={feedback.text} n={feedback.n} />
          </Card>
          <StationPanel
            t={t}
            panel={panel}
            setPanel={setPanel}
            statusText={statusText}
            onConfirm={() => queue(confirm)}
            onCancel={() => queue(cancel)}
          />
          <ShortcutBar t={t} panel={panel} />
        </Col>
        <Col xs={24} xl={8}>
          <ShiftLog t={t} log={log} />
          <OpenParcels t={t} />
        </Col>
      </Row>
    </div>
  );
}
