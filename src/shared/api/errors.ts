/** Error codes the API returns; the main process's AppError uses the same set. */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'NOT_A_PROJECT',
  'NO_PROJECT',
  'PROJECT_LOCKED',
  'PROJECT_CORRUPT',
  'PROJECT_TOO_NEW',
  'READ_ONLY',
  'UNSUPPORTED',
  'CORRUPT_FILE',
  'CONFLICT',
  'CANCELLED',
  'LOCKED_SEGMENT',
  'TOO_LARGE',
  'NO_SPACE',
  'INTERNAL',
] as const;

export type ApiErrorCode = (typeof ERROR_CODES)[number];

export interface ApiErrorBody {
  code: ApiErrorCode;
  message: string;
  details?: unknown;
}

/** An error returned by the API, as the renderer sees it. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
