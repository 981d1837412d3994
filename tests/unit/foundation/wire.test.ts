import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../src/shared/api/wire';

describe('wire encoding', () => {
  it('keeps plain messages as JSON text', () => {
    const m = { id: 1, method: 'projects.open', params: { path: '/x' } };
    const enc = encodeMessage(m);
    expect(typeof enc).toBe('string');
    expect(decodeMessage(enc)).toEqual(m);
  });

  it('carries typed arrays of every kind as binary attachments, exactly', () => {
    const value = {
      id: 7,
      ok: true,
      result: {
        image: Uint8Array.from([0, 1, 2, 255]),
        labels: new BigUint64Array([0n, 1n, 2n ** 63n + 5n]),
        f: new Float32Array([1.5, -2.25, Number.NaN]),
        nested: [{ u16: Uint16Array.from([65535, 3]) }, new Int32Array([-1])],
        big: 12345678901234567890n,
      },
    };
    const enc = encodeMessage(value);
    expect(enc).toBeInstanceOf(Uint8Array);
    const dec = decodeMessage(enc) as typeof value;
    expect(dec.result.image).toEqual(value.result.image);
    expect(dec.result.labels).toEqual(value.result.labels);
    expect(Array.from(dec.result.f).slice(0, 2)).toEqual([1.5, -2.25]);
    expect(Number.isNaN(dec.result.f[2])).toBe(true);
    expect(dec.result.nested[0]).toEqual({ u16: Uint16Array.from([65535, 3]) });
    expect(dec.result.big).toBe(12345678901234567890n);
  });

  it('sends a view of a larger buffer without its neighbours, and Node Buffers as bytes', () => {
    const big = new Float64Array([1, 2, 3, 4, 5, 6]);
    const view = big.subarray(2, 4);
    const dec = decodeMessage(encodeMessage({ v: view, b: Buffer.from('abc') })) as { v: Float64Array; b: Uint8Array };
    expect(Array.from(dec.v)).toEqual([3, 4]);
    expect(dec.b).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(dec.b)).toBe('abc');
  });

  it('rejects truncated or lying binary frames', () => {
    const enc = encodeMessage({ a: new Uint8Array(100) }) as Uint8Array;
    expect(() => decodeMessage(enc.subarray(0, 3))).toThrow(/too short/);
    expect(() => decodeMessage(enc.subarray(0, enc.length - 50))).toThrow(/overruns/);
    const lie = enc.slice();
    new DataView(lie.buffer).setUint32(0, 1 << 30, true);
    expect(() => decodeMessage(lie)).toThrow(/header overruns/);
  });
});
