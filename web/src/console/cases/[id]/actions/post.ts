import { api, call } from "../../../../shared/api.ts";
import type { paths } from "../../../../shared/api-types.ts";

/** Every action a case takes: the slugs of POST /cases/{id}/<slug> in the API document. */
export type Slug = {
  [P in keyof paths]: P extends `/api/v1/cases/{id}/${infer S}`
    ? paths[P] extends { post: unknown }
      ? S
      : never
    : never;
}[keyof paths];

type Post<S extends Slug> = paths[`/api/v1/cases/{id}/${S}`] extends { post: infer O } ? O : never;
export type ActionBody<S extends Slug> =
  Post<S> extends {
    requestBody?: { content: { "application/json": infer B } };
  }
    ? B
    : never;
export type ActionResult<S extends Slug> =
  Post<S> extends {
    responses: { 200: { content: { "application/json": infer R } } };
  }
    ? R
    : never;

/** POST /cases/{id}/<slug>: typed by the slug's own body and answer. */
export function postAction<S extends Slug>(
  id: number,
  slug: S,
  body: ActionBody<S>,
): Promise<ActionResult<S>> {
  // One call site for every action; the types above keep each body and answer to its own operation.
  const path = `/api/v1/cases/{id}/${slug}` as "/api/v1/cases/{id}/approve";
  return call(api.POST(path, { params: { path: { id } }, body: body as never })) as Promise<ActionResult<S>>;
}
