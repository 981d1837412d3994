/**
 * Inflates a gzip member with the platform's native DecompressionStream (Chromium's zlib,
 * run without blocking the caller). Store chunks arrive this way: the host sends the file
 * as stored and never decodes it.
 */
export async function inflateGzip(bytes: Uint8Array, expectedBytes?: number): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  const out = new Uint8Array(await new Response(stream).arrayBuffer());
  if (expectedBytes !== undefined && out.byteLength !== expectedBytes) {
    throw new Error(`chunk inflates to ${out.byteLength} bytes, expected ${expectedBytes}`);
  }
  return out;
}
