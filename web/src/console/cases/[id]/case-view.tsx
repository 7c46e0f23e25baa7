import { Button, Col, Result, Row, Skeleton } from "antd";
import { type ReactNode, type Ref, useEffect, useRef, useState } from "react";
import { isApiError } from "../../../shared/api.ts";
import { ActionBar, type CaseViewHandle } from "./actions/action-bar.tsx";
import { type CaseViewData, useCaseView } from "./data.ts";
import { CaseHeader } from "./header.tsx";
import { CustomerSection, ProductsSection } from "./sections/customer.tsx";
import { EvidenceSection } from "./sections/evidence.tsx";
import { HighlightsSection } from "./sections/highlights.tsx";
import { LinesSection, PaymentsSection } from "./sections/lines.tsx";
import { MoneySection } from "./sections/money.tsx";
import { ParcelsSection } from "./sections/parcels.tsx";
import { DecisionSection, RiskSection } from "./sections/risk.tsx";
import { TimelineSection } from "./sections/timeline.tsx";
import { useCaseText } from "./text.ts";

export type { CaseViewHandle } from "./actions/action-bar.tsx";
export { CASE_HOTKEYS, useCaseHotkeys } from "./hotkeys.ts";

/** Two columns from this width of the view itself (a side pane is narrower than the page). */
const WIDE = 900;
/** Below this the lines and facts stack (a phone, a narrow pane). */
const NARROW = 600;
/** The action bar's box: it stays in reach while the facts scroll by. */
const STICKY = {
  position: "sticky",
  zIndex: 3,
  background: "#fff",
  padding: "10px 12px",
  borderRadius: 8,
  boxShadow: "0 1px 4px rgba(0,0,0,0.08)",
} as const;

/** The view's own width: it sits in a full page, a drawer or a side pane, so the window says little. */
function useWidth() {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(1200);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => entry && setWidth(entry.contentRect.width));
    observer.observe(el);
    setWidth(el.clientWidth);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}

/**
 * On a phone the actions sit at the bottom of the screen, where a thumb reaches, whatever is scrolled
 * into view; a spacer as tall as the bar keeps the last facts from hiding under it.
 */
function ThumbBar({ children }: { children: ReactNode }) {
  const bar = useRef<HTMLDivElement>(null);
  const [height, setHeight] = useState(0);
  useEffect(() => {
    const el = bar.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.offsetHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return (
    <>
      <div style={{ height: height + 16 }} />
      <div
        ref={bar}
        style={{
          ...STICKY,
          position: "fixed",
          left: 0,
          right: 0,
          bottom: 0,
          borderRadius: 0,
          paddingBottom: "calc(10px + env(safe-area-inset-bottom))",
          boxShadow: "0 -2px 8px rgba(0,0,0,0.12)",
        }}
      >
        {children}
      </div>
    </>
  );
}

function Body({ view, narrow, wide }: { view: CaseViewData; narrow: boolean; wide: boolean }) {
  const evidenceFirst = view.highlights.items.some((h) => h.kind === "evidence");
  const showEvidence = !evidenceFirst && (view.case.evidence.length > 0 || Boolean(view.case.description));
  const main = (
    <>
      <HighlightsSection view={view} />
      <MoneySection view={view} />
      <LinesSection view={view} narrow={narrow} />
      <ParcelsSection view={view} />
      {showEvidence && <EvidenceSection view={view} />}
    </>
  );
  const side = (
    <>
      <RiskSection view={view} />
      <DecisionSection view={view} />
      <CustomerSection view={view} />
      <ProductsSection view={view} />
      <PaymentsSection view={view} />
    </>
  );
  if (!wide)
    return (
      <>
        {main}
        {side}
        <TimelineSection view={view} />
      </>
    );
  return (
    <Row gutter={16}>
      <Col span={15}>
        {main}
        <TimelineSection view={view} />
      </Col>
      <Col span={9}>{side}</Col>
    </Row>
  );
}

/**
 * The integrated case view (售后全景): everything about one case laid out for a decision, and the
 * actions this person may take on it now. Used as the full page (cases/:id) and inside the queue's
 * pane; `onActed` hears each action done (its slug and the API's answer), so the queue can move on to
 * the next case. `ref` gives the host the actions (the keyboard: useCaseHotkeys).
 */
export function CaseView({
  id,
  onActed,
  ref,
}: {
  id: number;
  onActed?: (action: string, result: unknown) => void;
  ref?: Ref<CaseViewHandle>;
}) {
  const { t } = useCaseText();
  const query = useCaseView(id);
  const { ref: box, width } = useWidth();
  const reload = async () => (await query.refetch()).data;
  let content: ReactNode;
  if (query.isPending) content = <Skeleton active paragraph={{ rows: 12 }} />;
  else if (query.error)
    content = isApiError(query.error, "CASE_NOT_FOUND") ? (
      <Result status="404" title={t("loadFailed")} subTitle={t("notFound")} />
    ) : (
      <Result
        status="error"
        title={t("loadFailed")}
        subTitle={query.error.message}
        extra={<Button onClick={() => void query.refetch()}>{t("common:actions.retry")}</Button>}
      />
    );
  else {
    const view = query.data;
    const narrow = width < NARROW;
    const actions = (v: typeof view, touch: boolean) => (
      <ActionBar view={v} reload={reload} onActed={onActed} handle={ref} touch={touch} />
    );
    content = (
      <>
        <CaseHeader view={view} narrow={narrow} />
        {!narrow && <div style={{ ...STICKY, top: 0, margin: "4px 0 16px" }}>{actions(view, false)}</div>}
        <Body view={view} narrow={narrow} wide={width >= WIDE} />
        {narrow && <ThumbBar>{actions(view, true)}</ThumbBar>}
      </>
    );
  }
  return (
    <div ref={box} data-testid="case-view" data-case={id}>
      {content}
    </div>
  );
}
