import { Alert } from "antd";

/** Why a finance screen could not load what it shows (the server's words, or the network's). */
export function LoadProblem({ error, text }: { error: Error | null; text: (message: string) => string }) {
  if (!error) return null;
  return (
    <Alert type="error" showIcon role="alert" style={{ marginBottom: 12 }} title={text(error.message)} />
  );
}
