/// <reference lib="webworker" />
import { inflateGzip } from '../core/inflate';

/** Inflates gzip chunks off the main thread; buffers travel both ways without copies. */
self.onmessage = async (e: MessageEvent<{ id: number; bytes: ArrayBuffer; expected: number }>) => {
  const { id, bytes, expected } = e.data;
  try {
    const out = await inflateGzip(new Uint8Array(bytes), expected);
    (self as unknown as Worker).postMessage({ id, ok: true, out }, [out.buffer]);
  } catch (err) {
    (self as unknown as Worker).postMessage({ id, ok: false, message: (err as Error).message });
  }
};
