import { z } from 'zod';

/** One API method: what it accepts and what it returns, both validated at the boundary. */
export interface MethodSpec<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  params: P;
  result: R;
}

export function method<P extends z.ZodType, R extends z.ZodType>(params: P, result: R): MethodSpec<P, R> {
  return { params, result };
}

export const NoParams = z.object({}).strict();

/** Binary payloads travel as typed arrays (structured clone over IPC, attachments over WebSocket). */
export const Bytes = z.instanceof(Uint8Array);
