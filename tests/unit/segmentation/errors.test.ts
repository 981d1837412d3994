import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/main/errors';
import { awaitNative, callNative, nativeError } from '../../../src/main/segmentation/native';

describe('segmentation errors', () => {
  it('turns kernel errors into AppErrors naming the operation once', () => {
    const plain = nativeError('split', new Error('seed (0, 0, 5) is outside the region'));
    expect(plain).toBeInstanceOf(AppError);
    expect(plain.code).toBe('BAD_REQUEST');
    expect(plain.message).toBe('split: seed (0, 0, 5) is outside the region');
    expect(nativeError('split', new Error('split: no seeds')).message).toBe('split: no seeds');
    expect(nativeError('fragments', new Error('std::bad_alloc')).code).toBe('TOO_LARGE');
    const already = new AppError('UNSUPPORTED', 'no addon');
    expect(nativeError('metrics', already)).toBe(already);
  });

  it('wraps sync and async kernel calls', async () => {
    expect(() =>
      callNative('metrics', () => {
        throw new TypeError('labels must be a Uint32Array');
      }),
    ).toThrow(/^metrics: labels must be a Uint32Array$/);
    await expect(awaitNative('metrics', () => Promise.reject(new Error('boom')))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'metrics: boom' });
    expect(callNative('metrics', () => 42)).toBe(42);
  });
});
