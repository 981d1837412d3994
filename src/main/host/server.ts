import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RequestMessage, ResponseMessage } from '../../shared/api/contract';
import { decodeMessage, encodeMessage } from '../../shared/api/wire';
import type { Dispatch } from '../api/router';
import type { EventBus } from '../context';
import { contentSecurityPolicy } from '../security';

const TOKEN_COOKIE = 'tu_token';
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

export interface HostOptions {
  /** Folder with the built renderer (out/renderer). */
  rendererDir: string;
  dispatch: Dispatch;
  events: EventBus;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests); by default a random one per run. */
  token?: string;
}

export interface Host {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * Browser mode: serves the built renderer and the API (WebSocket at /api) on 127.0.0.1 only.
 * Every HTTP request and WebSocket upgrade must carry the per-run token (query parameter
 * on the first page load, then an HttpOnly SameSite=Strict cookie); anything else gets 401.
 */
export async function startHost(opts: HostOptions): Promise<Host> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const tokenBytes = Buffer.from(token);
  const rendererDir = normalize(opts.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`the renderer is not built (${join(rendererDir, 'index.html')} missing); run "npm run build"`);
  }
  let port = 0;

  const tokenMatches = (candidate: string | undefined | null): boolean => {
    if (!candidate) return false;
    const b = Buffer.from(candidate);
    return b.length === tokenBytes.length && timingSafeEqual(b, tokenBytes);
  };

  const hostAllowed = (req: IncomingMessage): boolean => {
    const host = req.headers.host ?? '';
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  };

  const authorised = (req: IncomingMessage, url: URL): boolean =>
    hostAllowed(req) && (tokenMatches(url.searchParams.get('token')) || tokenMatches(cookie(req, TOKEN_COOKIE)));

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!authorised(req, url)) return deny(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    serveStatic(res, url, rendererDir, token, port);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = req.headers.origin;
    const originOk = !origin || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== '/api' || !originOk || !authorised(req, url)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveClient(ws, opts.dispatch));
  });

  const unsubscribe = opts.events.subscribe((event, data) => {
    const frame = encodeMessage({ event, data });
    for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(frame);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function serveClient(ws: WebSocket, dispatch: Dispatch): void {
  ws.on('message', async (raw, isBinary) => {
    let request: RequestMessage;
    try {
      const decoded = decodeMessage(isBinary ? (raw as Buffer) : raw.toString()) as Partial<RequestMessage>;
      if (typeof decoded !== 'object' || decoded === null || typeof decoded.id !== 'number' || typeof decoded.method !== 'string') {
        throw new Error('a request needs a numeric "id" and a string "method"');
      }
      request = decoded as RequestMessage;
    } catch (err) {
      const reply: ResponseMessage = { id: -1, ok: false, error: { code: 'BAD_REQUEST', message: `malformed request: ${(err as Error).message}` } };
      ws.send(encodeMessage(reply));
      return;
    }
    const outcome = await dispatch(request.method, request.params);
    const reply: ResponseMessage = outcome.ok
      ? { id: request.id, ok: true, result: outcome.result }
      : { id: request.id, ok: false, error: outcome.error };
    if (ws.readyState === ws.OPEN) ws.send(encodeMessage(reply));
  });
}

function deny(res: ServerResponse): void {
  res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end('401 Unauthorized\n');
}

function cookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

function serveStatic(res: ServerResponse, url: URL, root: string, token: string, port: number): void {
  let rel = decodeURIComponent(url.pathname);
  if (rel === '/' || rel === '') rel = '/index.html';
  const file = normalize(join(root, rel));
  if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  const headers: Record<string, string> = {
    'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': contentSecurityPolicy({ websocketOrigin: `ws://127.0.0.1:${port} ws://localhost:${port}` }),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': extname(file) === '.html' ? 'no-store' : 'private, max-age=3600',
    // Cross-origin isolation lets the viewer use SharedArrayBuffer and precise timers.
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
  if (url.searchParams.has('token')) {
    headers['Set-Cookie'] = `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
  }
  res.writeHead(200, headers);
  createReadStream(file).pipe(res);
}
