import { ArrowLeftOutlined } from "@ant-design/icons";
import { App } from "antd";
import { useCallback, useRef } from "react";
import { Link, useParams } from "react-router";
import { CaseView, type CaseViewHandle, useCaseHotkeys } from "./case-view.tsx";
import { useCaseText } from "./text.ts";

/** cases/:id — one case as a full page, with a way back to the queue; a/r/g act on it. */
export default function CasePage() {
  const { t } = useCaseText();
  const { message } = App.useApp();
  const id = Number(useParams().id);
  const handle = useRef<CaseViewHandle>(null);
  const unavailable = useCallback(
    (action: string) => void message.info(`${t(`actions.${action}`)} · ${t("actions.none")}`),
    [message, t],
  );
  useCaseHotkeys(handle, { onUnavailable: unavailable });
  return (
    <div style={{ maxWidth: 1400, margin: "0 auto" }}>
      <Link to="/queue" style={{ display: "inline-block", marginBottom: 12 }}>
        <ArrowLeftOutlined aria-hidden /> {t("back")}
      </Link>
      {Number.isSafeInteger(id) && id > 0 ? <CaseView key={id} id={id} ref={handle} /> : null}
    </div>
  );
}
