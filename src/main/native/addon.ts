import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from '../paths';

/**
 * Loads the bundled Node-API addon (native/). Kernel modules add their functions to
 * its exports; their typed wrappers live next to the code that uses them.
 * When the addon was not built (no compiler at install time) callers fall back to
 * the pure ONNX / TypeScript paths and report why through `nativeStatus()`.
 */
export interface NativeStatus {
  available: boolean;
  path: string | null;
  reason: string;
}

let cached: { addon: Record<string, unknown> | null; status: NativeStatus } | null = null;

function candidatePaths(): string[] {
  const fromEnv = process.env.TOKENUNIFY_NATIVE_ADDON;
  const root = repoRoot();
  const list = [
    join(root, 'native', 'build', 'Release', 'tokenunify_native.node'),
    join(root, 'native', 'build', 'Debug', 'tokenunify_native.node'),
  ];
  // Packaged app: electron-builder copies the addon next to the app resources.
  if (process.resourcesPath) list.push(join(process.resourcesPath, 'native', 'tokenunify_native.node'));
  return fromEnv ? [fromEnv, ...list] : list;
}

function load(): { addon: Record<string, unknown> | null; status: NativeStatus } {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const path of candidatePaths()) {
    if (!existsSync(path)) {
      tried.push(`${path} (absent)`);
      continue;
    }
    try {
      const addon = require(path) as Record<string, unknown>;
      cached = { addon, status: { available: true, path, reason: 'loaded' } };
      return cached;
    } catch (err) {
      tried.push(`${path} (${(err as Error).message})`);
    }
  }
  cached = {
    addon: null,
    status: {
      available: false,
      path: null,
      reason: `native addon not built; run "npm rebuild" with a C++ compiler installed. Tried: ${tried.join('; ')}`,
    },
  };
  return cached;
}

export function nativeStatus(): NativeStatus {
  return load().status;
}

/** The addon's exports, or null when it is not available. */
export function nativeAddon<T = Record<string, unknown>>(): T | null {
  return load().addon as T | null;
}

/** The addon's exports; throws a clear error when it is not available. */
export function requireNativeAddon<T = Record<string, unknown>>(): T {
  const { addon, status } = load();
  if (!addon) throw new Error(status.reason);
  return addon as T;
}
