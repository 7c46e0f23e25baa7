/**
 * Expected failures carry a stable machine code; the HTTP layer maps codes to statuses.
 * The domain never knows about HTTP — it only says what went wrong and why.
 */
export class AppError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.details = details;
  }
}

export const fail = (code: string, message: string, details?: Record<string, unknown>): never => {
  throw new AppError(code, message, details);
};
