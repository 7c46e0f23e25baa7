import { Form, Input, type InputProps } from "antd";
import { type ReactNode, useEffect, useState } from "react";
import type { Issues } from "../model.ts";

/**
 * One input of the editor with the problems the server found at its path shown under it (in the
 * person's language, as the API said them). `data-path` names the place in the rule set document.
 */
export function Field({
  path,
  issues,
  label,
  children,
  extra,
  style,
}: {
  path: string;
  issues: Issues;
  label?: ReactNode;
  children: ReactNode;
  extra?: ReactNode;
  style?: React.CSSProperties;
}) {
  const problems = issues.get(path);
  return (
    <div data-path={path} data-invalid={problems ? "true" : undefined} style={style}>
      <Form.Item
        label={label}
        extra={extra}
        validateStatus={problems ? "error" : undefined}
        help={problems ? problems.join("；") : undefined}
        style={{ marginBottom: 8 }}
      >
        {children}
      </Form.Item>
    </div>
  );
}

/** Typed text as the document takes it: a number when it reads as one, else the text itself (the server says why not). */
export function numberOrText(text: string): unknown {
  const t = text.trim();
  if (t === "") return undefined;
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

/** A value shown in a text box. */
export const asText = (v: unknown) => (v === undefined || v === null ? "" : String(v));

/**
 * A text box for a value the document stores parsed (a number, a trimmed amount): it keeps what the
 * person typed ("0.50", "1.") while the stored value is what that text means.
 */
export function ValueText({
  value,
  parse,
  onChange,
  ...props
}: { value: unknown; parse: (text: string) => unknown; onChange: (v: unknown) => void } & Omit<
  InputProps,
  "value" | "onChange"
>) {
  const [text, setText] = useState(asText(value));
  useEffect(() => {
    setText((typed) => (parse(typed) === value ? typed : asText(value)));
  }, [value, parse]);
  return (
    <Input
      {...props}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        onChange(parse(e.target.value));
      }}
    />
  );
}
