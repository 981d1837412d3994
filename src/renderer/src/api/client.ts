import { contract, events, type EventData, type EventName, type MethodName, type Params, type Result } from '@shared/api/contract';
import { ApiError, type ApiErrorCode } from '@shared/api/errors';

/** How messages reach the main process: Electron IPC or the browser-mode WebSocket. */
export interface Transport {
  readonly kind: 'electron' | 'browser';
  request(method: string, params: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: { code: string; message: string; details?: unknown } }>;
  onEvent(listener: (event: string, data: unknown) => void): () => void;
  onConnectionChange?(listener: (connected: boolean) => void): () => void;
}

/**
 * The renderer's typed API: every call and event is checked against the shared contract,
 * so a malformed answer is an error here rather than a surprise deep in the UI.
 */
export class ApiClient {
  private readonly listeners = new Map<string, Set<(data: unknown) => void>>();

  constructor(readonly transport: Transport) {
    transport.onEvent((event, data) => {
      const schema = events[event as EventName];
      if (!schema) return;
      const parsed = schema.safeParse(data);
      if (!parsed.success) {
        console.warn(`dropping malformed ${event} event`, parsed.error.issues);
        return;
      }
      for (const l of this.listeners.get(event) ?? []) l(parsed.data);
    });
  }

  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    const reply = await this.transport.request(method, params);
    if (!reply.ok) throw new ApiError(reply.error.code as ApiErrorCode, reply.error.message, reply.error.details);
    const parsed = contract[method].result.safeParse(reply.result);
    if (!parsed.success) throw new ApiError('INTERNAL', `malformed answer to ${method}: ${parsed.error.message}`);
    return parsed.data as Result<M>;
  }

  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (data: unknown) => void);
    return () => set.delete(listener as (data: unknown) => void);
  }
}
