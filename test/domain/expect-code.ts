import { expect } from "vitest";
import { AppError } from "../../src/domain/errors.ts";

/** Run `fn`, expect it to throw an AppError with `code`, and hand the error back for further checks. */
export function expectCode(fn: () => unknown, code: string): AppError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected an AppError with code ${code}`).toBeInstanceOf(AppError);
  const err = thrown as AppError;
  expect(err.code).toBe(code);
  expect(err.message).not.toBe("");
  return err;
}
