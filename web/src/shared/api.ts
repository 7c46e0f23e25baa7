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
