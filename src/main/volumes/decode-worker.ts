import { parentPort } from 'node:worker_threads';
import { isAppError } from '../errors';
import { openVolume } from './readers/open';
import type { VolumeReader } from './readers/types';
import type { DecodeReply, DecodeRequest } from './decode-pool';

/**
 * Entry of a decode-pool worker thread: opens external chunked sources (Zarr, N5,
 * precomputed) once each and decodes the chunks the main thread asks for, so wasm codecs
 * (blosc, zstd) and compressed_segmentation never run on the main thread.
 */
const port = parentPort;
if (!port) throw new Error('decode-worker must run in a worker thread');
const readers = new Map<string, Promise<VolumeReader>>();

function readerFor(uri: string, dataset: string | undefined): Promise<VolumeReader> {
  const key = `${uri}\u0000${dataset ?? ''}`;
  let r = readers.get(key);
  if (!r) {
    r = openVolume(uri, { dataset });
    readers.set(key, r);
    r.catch(() => readers.delete(key));
  }
  return r;
}

port.on('message', async (m: DecodeRequest) => {
  let reply: DecodeReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const reader = await readerFor(m.uri, m.dataset);
    if (!reader.readChunk) throw new Error(`${m.uri} is not chunked`);
    const chunk = await reader.readChunk(m.level, m.coord);
    const d = chunk.data;
    const whole = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.buffer instanceof ArrayBuffer;
    const buffer = (whole ? d.buffer : d.slice().buffer) as ArrayBuffer;
    reply = { id: m.id, ok: true, buffer, shape: chunk.shape };
    transfer = [buffer];
  } catch (err) {
    reply = { id: m.id, ok: false, code: isAppError(err) ? err.code : 'INTERNAL', message: (err as Error)?.message ?? String(err) };
  }
  port.postMessage(reply, transfer);
});
