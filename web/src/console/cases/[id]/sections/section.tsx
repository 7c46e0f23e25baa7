import { Card } from "antd";
import { type ReactNode, useId } from "react";

/** One part of the case view: a card whose heading names it for screen readers too. */
export function Section({
  title,
  extra,
  children,
  testId,
}: {
  title: ReactNode;
  extra?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  const id = useId();
  return (
    <section aria-labelledby={id} data-testid={testId} style={{ marginBottom: 16 }}>
      <Card
        size="small"
        title={
          <h2 id={id} style={{ fontSize: 15, margin: 0, fontWeight: 600 }}>
            {title}
          </h2>
        }
        extra={extra}
      >
        {children}
      </Card>
    </section>
  );
}
