import { decodeMessage, encodeMessage } from '@shared/api/wire';
import type { ResponseMessage } from '@shared/api/contract';
import type { Transport } from './client';

interface Bridge {
  invoke(method: string, params: unknown): Promise<unknown>;
  onEvent(listener: (message: { event: string; data: unknown }) => void): () => void;
}

declare global {
  interface Window {
    tokenunify?: Bridge;
  }
}

export function electronTransport(bridge: Bridge): Transport {
  return {
    kind: 'electron',
    request: (method, params) => bridge.invoke(method, params) as ReturnType<Transport['request']>,
    onEvent: (listener) => bridge.onEvent((m) => listener(m.event, m.data)),
  };
}

type Pending = { resolve: (r: ResponseMessage) => void; reject: (e: Error) => void };

/** Browser mode: one WebSocket to /api (authenticated by the session cookie), reconnecting when dropped. */
export function websocketTransport(url: string): Transport {
  let socket: WebSocket | null = null;
  let nextId = 1;
  let opened: Promise<WebSocket> | null = null;
  const pending = new Map<number, Pending>();
  const eventListeners = new Set<(event: string, data: unknown) => void>();
  const connectionListeners = new Set<(connected: boolean) => void>();

  const connect = (): Promise<WebSocket> => {
    if (opened) return opened;
    opened = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        socket = ws;
        connectionListeners.forEach((l) => l(true));
        resolve(ws);
      };
      ws.onerror = () => reject(new Error('cannot reach the TokenUnify Studio host'));
      ws.onclose = () => {
        socket = null;
        opened = null;
        connectionListeners.forEach((l) => l(false));
        for (const p of pending.values()) p.reject(new Error('connection to the host was lost'));
        pending.clear();
        setTimeout(() => void connect().catch(() => undefined), 1000);
      };
      ws.onmessage = (ev) => {
        const msg = decodeMessage(ev.data as string | ArrayBuffer) as ResponseMessage | { event: string; data: unknown };
        if ('event' in msg) {
          eventListeners.forEach((l) => l(msg.event, msg.data));
        } else {
          const p = pending.get(msg.id);
          if (p) {
            pending.delete(msg.id);
            p.resolve(msg);
          }
        }
      };
    });
    return opened;
  };

  return {
    kind: 'browser',
    async request(method, params) {
      const ws = socket ?? (await connect());
      const id = nextId++;
      const reply = await new Promise<ResponseMessage>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        ws.send(encodeMessage({ id, method, params }));
      });
      return reply.ok ? { ok: true, result: reply.result } : { ok: false, error: reply.error };
    },
    onEvent(listener) {
      eventListeners.add(listener);
      void connect().catch(() => undefined);
      return () => eventListeners.delete(listener);
    },
    onConnectionChange(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
  };
}

export function detectTransport(): Transport {
  if (window.tokenunify) return electronTransport(window.tokenunify);
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return websocketTransport(`${proto}//${location.host}/api`);
}
