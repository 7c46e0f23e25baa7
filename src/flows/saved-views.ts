import { fail } from "../domain/errors.ts";
import { findSavedView, type QueueFilter, queueWhere } from "../store/queue.ts";
import type { SavedViewTable } from "../store/schema.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";

/**
 * Saved views of the reviewer queue (保存的视图): a name and a filter. A personal view is its creator's
 * alone; a shared one everyone sees, and only those who may assign cases (case.assign) share or edit it.
 */

export interface ViewEditor {
  /** "user:<id>" or "token:<id>": whose personal views these are. */
  key: string;
  actor: Actor;
  /** Holds case.assign: may share a view and edit shared ones. */
  mayShare: boolean;
}

export interface ViewInput {
  name?: string;
  shared?: boolean;
  filters?: QueueFilter;
}

export type SavedView = Omit<SavedViewTable, "id" | "shared" | "filters" | "created_at" | "updated_at"> & {
  id: number;
  shared: boolean;
  filters: unknown;
  created_at: Date;
  updated_at: Date;
};

function checked(input: ViewInput, editor: ViewEditor) {
  if (input.shared && !editor.mayShare)
    fail("FORBIDDEN", "Only those who may assign cases can share a view", { permission: "case.assign" });
  const name = input.name?.trim();
  if (input.name !== undefined && !name) fail("VIEW_NAME_REQUIRED", "A view needs a name");
  // A filter that would not run is refused now, not each time the view is opened.
  if (input.filters) queueWhere(input.filters, { shops: null, me: null }, new Date(0));
  return { name, filters: input.filters };
}

export async function createView(
  ctx: FlowContext,
  editor: ViewEditor,
  input: Required<Pick<ViewInput, "name">> & ViewInput,
): Promise<SavedView> {
  const { name, filters } = checked(input, editor);
  const now = ctx.now();
  return ctx.db
    .insertInto("saved_views")
    .values({
      name: name as string,
      owner_key: editor.key,
      shared: input.shared ?? false,
      filters: JSON.stringify(filters ?? {}),
      created_by: actorName(editor.actor),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow() as Promise<SavedView>;
}

/** A view the editor may change: their own personal one, or a shared one if they may share. */
async function editable(ctx: FlowContext, editor: ViewEditor, id: number) {
  const view = await findSavedView(ctx.db, id);
  if (!view || (!view.shared && view.owner_key !== editor.key))
    return fail("VIEW_NOT_FOUND", `View v${id} does not exist`, { viewId: `v${id}` });
  if (view.shared && !editor.mayShare)
    fail("FORBIDDEN", "Only those who may assign cases can change a shared view", {
      permission: "case.assign",
    });
  return view;
}

export async function updateView(
  ctx: FlowContext,
  editor: ViewEditor,
  id: number,
  input: ViewInput,
): Promise<SavedView> {
  await editable(ctx, editor, id);
  const { name, filters } = checked(input, editor);
  return ctx.db
    .updateTable("saved_views")
    .set({
      ...(name !== undefined ? { name } : {}),
      ...(input.shared !== undefined ? { shared: input.shared } : {}),
      ...(filters !== undefined ? { filters: JSON.stringify(filters) } : {}),
      updated_at: ctx.now(),
    })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow() as Promise<SavedView>;
}

export async function deleteView(ctx: FlowContext, editor: ViewEditor, id: number): Promise<void> {
  await editable(ctx, editor, id);
  await ctx.db.deleteFrom("saved_views").where("id", "=", id).execute();
}
