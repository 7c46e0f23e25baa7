import { PlayCircleOutlined } from "@ant-design/icons";
import { Image, Space, Typography } from "antd";
import type { CaseViewData } from "../data.ts";
import { useCaseText } from "../text.ts";
import { Section } from "./section.tsx";

type Evidence = CaseViewData["case"]["evidence"];

/** A grey square with a broken-picture sign, for a photo that does not load (no request leaves for it). */
const BROKEN =
  "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='96' height='96'><rect width='96' height='96' fill='%23f0f0f0'/><path d='M30 64l14-18 10 12 8-9 12 15z' fill='%23bfbfbf'/></svg>";

/** The customer's photos (enlarged on click) and videos (opened in a new tab). */
export function EvidenceGallery({ items }: { items: Evidence }) {
  const { t } = useCaseText();
  const photos = items.filter((e) => e.kind !== "video");
  const videos = items.filter((e) => e.kind === "video");
  if (items.length === 0) return <Typography.Text type="secondary">{t("evidence.none")}</Typography.Text>;
  return (
    <Space wrap size={8}>
      <Image.PreviewGroup>
        {photos.map((e, i) => (
          <Image
            key={e.url}
            src={e.url}
            width={96}
            height={96}
            style={{ objectFit: "cover", borderRadius: 4 }}
            alt={t("evidence.image", { n: i + 1 })}
            fallback={BROKEN}
          />
        ))}
      </Image.PreviewGroup>
      {videos.map((e, i) => (
        <Typography.Link key={e.url} href={e.url} target="_blank" rel="noreferrer noopener">
          <PlayCircleOutlined aria-hidden /> {t("evidence.video", { n: i + 1 })}
        </Typography.Link>
      ))}
    </Space>
  );
}

/** What the customer sent with the request: their words and their photos. */
export function EvidenceSection({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const c = view.case;
  return (
    <Section title={t("sections.evidence")} testId="case-evidence">
      {c.description && (
        <Typography.Paragraph style={{ whiteSpace: "pre-wrap" }}>{c.description}</Typography.Paragraph>
      )}
      <EvidenceGallery items={c.evidence} />
    </Section>
  );
}
