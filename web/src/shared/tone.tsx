import { Tag } from "antd";
import type { ReactNode } from "react";

/**
 * Tag colours that read at WCAG AA: antd's preset tags put mid-tone text (green #389e0d, orange
 * #d46b08…) on a pale ground, under 4.5:1. Here each tone is its palette's dark shade on its palest.
 */
const TONES = {
  green: ["#237804", "#f6ffed", "#b7eb8f"],
  orange: ["#ad4e00", "#fff7e6", "#ffd591"],
  red: ["#a8071a", "#fff1f0", "#ffa39e"],
  blue: ["#003eb3", "#e6f4ff", "#91caff"],
  geekblue: ["#10239e", "#f0f5ff", "#adc6ff"],
  purple: ["#391085", "#f9f0ff", "#d3adf7"],
  volcano: ["#ad2102", "#fff2e8", "#ffbb96"],
  gold: ["#874d00", "#fffbe6", "#ffe58f"],
} as const;
export type Tone = keyof typeof TONES;

export function ToneTag({
  tone,
  children,
  title,
  testId,
}: {
  tone?: Tone;
  children: ReactNode;
  title?: string;
  testId?: string;
}) {
  const [color, background, borderColor] = tone ? TONES[tone] : [];
  return (
    <Tag
      style={{ marginInlineEnd: 0, ...(tone ? { color, background, borderColor } : {}) }}
      title={title}
      data-testid={testId}
    >
      {children}
    </Tag>
  );
}
