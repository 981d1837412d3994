import type { ApiErrorCode } from '../shared/api/errors';

export type ErrorCode = ApiErrorCode;

/**
 * Errors meant for the user. `code` is stable (the API and CLI expose it);
 * `message` says what went wrong and names the file, layer or id at fault.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Thrown inside jobs when the user cancelled them. */
export class CancelledError extends AppError {
  constructor(message = 'cancelled') {
    super('CANCELLED', message);
  }
}
