import { z } from 'zod';
import { contract, isMethodName, type Contract, type MethodName } from '../../shared/api/contract';
import type { ApiErrorBody } from '../../shared/api/errors';
import type { AppContext } from '../context';
import { AppError, isAppError } from '../errors';

export type Handler<M extends MethodName> = (
  params: z.output<Contract[M]['params']>,
  ctx: AppContext,
) => Promise<z.input<Contract[M]['result']>> | z.input<Contract[M]['result']>;

export type Handlers = { [M in MethodName]: Handler<M> };
export type PartialHandlers = { [M in MethodName]?: Handler<M> };

export type Outcome = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(params)'}: ${i.message}`)
    .join('; ');
}

/**
 * Validates a request against the contract, runs its handler and turns every failure into a
 * structured error. Both transports (Electron IPC, browser-mode WebSocket) call this.
 */
export function createRouter(handlers: Handlers, ctx: AppContext) {
  const missing = Object.keys(contract).filter((m) => typeof (handlers as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new Error(`API methods without a handler: ${missing.join(', ')}`);
  return async function dispatch(methodName: unknown, rawParams: unknown): Promise<Outcome> {
    if (!isMethodName(methodName)) {
      return { ok: false, error: { code: 'BAD_REQUEST', message: `unknown method ${JSON.stringify(methodName)}` } };
    }
    const spec = contract[methodName];
    const parsed = spec.params.safeParse(rawParams ?? {});
    if (!parsed.success) {
      return {
        ok: false,
        error: { code: 'BAD_REQUEST', message: `invalid parameters for ${methodName}: ${describeIssues(parsed.error)}` },
      };
    }
    try {
      const handler = handlers[methodName] as Handler<MethodName>;
      const result = await handler(parsed.data as never, ctx);
      const checked = spec.result.safeParse(result);
      if (!checked.success) {
        throw new AppError('INTERNAL', `${methodName} produced an invalid result: ${describeIssues(checked.error)}`);
      }
      return { ok: true, result: checked.data };
    } catch (err) {
      if (isAppError(err)) return { ok: false, error: { code: err.code, message: err.message, details: err.details } };
      console.error(`[api] ${methodName} failed:`, err);
      return { ok: false, error: { code: 'INTERNAL', message: (err as Error)?.message ?? String(err) } };
    }
  };
}

export type Dispatch = ReturnType<typeof createRouter>;
