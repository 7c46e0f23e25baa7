import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./api-types.ts";
import i18n from "./i18n.ts";

/** A refused request, as the API's problem+json says it: a stable code and a message in the person's language. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The session's CSRF token: every cookie-authenticated write carries it (src/api/routes/session.ts). */
let csrfToken: string | null = null;
export const setCsrfToken = (token: string | null) => {
  csrfToken = token;
};

const headers: Middleware = {
  onRequest({ request }) {
    request.headers.set("accept-language", i18n.language);
    if (csrfToken && !["GET", "HEAD", "OPTIONS"].includes(request.method))
      request.headers.set("x-csrf-token", csrfToken);
    return request;
  },
};

/**
 * POST and read the answer as it streams, one JSON value a line (application/x-ndjson), each handed to
 * `onLine` as it arrives — for long answers that report their progress. A refusal before the stream
 * starts throws the ApiError the problem says; `signal` stops reading (and the server stops working).
 */
export async function postLines(
  path: string,
  body: unknown,
  onLine: (value: unknown) => void,
  signal?: AbortSignal,
): Promise<void> {
  const headers = new Headers({ "content-type": "application/json", accept: "application/x-ndjson" });
  headers.set("accept-language", i18n.language);
  if (csrfToken) headers.set("x-csrf-token", csrfToken);
  const response = await fetch(path, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    credentials: "same-origin",
    ...(signal ? { signal } : {}),
  });
  if (!response.ok || !response.body) {
    const p = ((await response.json().catch(() => ({}))) ?? {}) as Problem;
    throw new ApiError(
      response.status,
      p.code ?? `HTTP_${response.status}`,
      p.detail ?? p.title ?? response.statusText,
      p.details ?? {},
    );
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rest += value;
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) onLine(JSON.parse(line));
  }
  if (rest.trim()) onLine(JSON.parse(rest));
}

/** The typed client: paths, parameters and answers come from the OpenAPI document (api-types.ts). */
export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(headers);

interface Problem {
  code?: string;
  title?: string;
  detail?: string;
  details?: Record<string, unknown>;
}

/** The answer's data, or an ApiError carrying the problem. */
export async function call<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await request;
  if (response.ok) return data as T;
  const p = (error ?? {}) as Problem;
  throw new ApiError(
    response.status,
    p.code ?? `HTTP_${response.status}`,
    p.detail ?? p.title ?? response.statusText,
    p.details ?? {},
  );
}

export const isApiError = (e: unknown, code?: string): e is ApiError =>
  e instanceof ApiError && (code === undefined || e.code === code);
