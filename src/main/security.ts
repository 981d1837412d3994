/**
 * The renderer's Content-Security-Policy, shared by Electron (response headers of the app's
 * own files) and browser mode (HTTP headers). No remote content, no eval, no inline scripts.
 */
export function contentSecurityPolicy(opts: { websocketOrigin?: string } = {}): string {
  const connect = ["'self'", opts.websocketOrigin].filter(Boolean).join(' ');
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    // Mantine sets style attributes at run time.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src ${connect}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
