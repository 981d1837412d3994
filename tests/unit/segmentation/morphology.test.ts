import { describe, expect, it } from 'vitest';
import {
  connectedComponents,
  connectedComponentsSync,
  distanceTransform,
  distanceTransformSync,
} from '../../../src/main/segmentation/morphology';
import { pythonJson, python, rng, segmentationNativeAvailable } from './fixtures';

const native = segmentationNativeAvailable();

/** Random blobs: a smoothed random field thresholded, so components have real shapes. */
function blobs(shape: readonly [number, number, number], seed: number, levels = 1): Uint8Array {
  const r = rng(seed);
  const [Z, Y, X] = shape;
  const field = new Float32Array(Z * Y * X).map(() => r());
  const out = new Uint8Array(field.length);
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = Math.min(Y - 1, Math.max(0, y + dy));
            const xx = Math.min(X - 1, Math.max(0, x + dx));
            s += field[(z * Y + yy) * X + xx];
          }
        out[(z * Y + y) * X + x] = s > 4.6 ? 1 + Math.floor((s - 4.6) * levels) % levels : 0;
      }
  return out;
}

describe.runIf(native)('distance transform', () => {
  it('is exact on a hand case (distance to the nearest zero)', () => {
    const fg = new Uint8Array([1, 1, 1, 1, 0]);
    expect(Array.from(distanceTransformSync(fg, [1, 1, 5]))).toEqual([4, 3, 2, 1, 0]);
    const spaced = distanceTransformSync(new Uint8Array([0, 1, 1]), [3, 1, 1], { spacing: [2.5, 1, 1] });
    expect(Array.from(spaced)).toEqual([0, 2.5, 5]);
    expect(Array.from(distanceTransformSync(new Uint8Array([1, 1]), [1, 1, 2]))).toEqual([Infinity, Infinity]);
  });

  it('equals scipy.ndimage.distance_transform_edt in 3D (anisotropic) and per section', async () => {
    const py = python('distance transform vs scipy', ['numpy', 'scipy']);
    if (!py) return;
    const shape = [6, 33, 41] as const;
    const fg = blobs(shape, 3).map((v) => (v ? 0 : 1)); // mostly foreground, background blobs
    const ours3d = await distanceTransform(fg, shape, { spacing: [3, 1, 1.5] });
    const ours2d = distanceTransformSync(fg, shape, { inPlane: true });
    const ref = pythonJson<{ d3: number[]; d2: number[] }>(
      `from scipy.ndimage import distance_transform_edt
fg = np.fromfile(paths[0], dtype=np.uint8).reshape(6, 33, 41)
d3 = distance_transform_edt(fg, sampling=[3, 1, 1.5])
d2 = np.stack([distance_transform_edt(fg[z]) for z in range(6)])
print(json.dumps({"d3": d3.ravel().tolist(), "d2": d2.ravel().tolist()}))`,
      [fg],
    );
    let worst3 = 0;
    let worst2 = 0;
    for (let i = 0; i < fg.length; i++) {
      // sections without background have no finite 2D distance; scipy then measures to the array edge
      if (Number.isFinite(ours2d[i])) worst2 = Math.max(worst2, Math.abs(ours2d[i] - ref.d2[i]));
      worst3 = Math.max(worst3, Math.abs(ours3d[i] - ref.d3[i]));
    }
    expect(worst3).toBeLessThan(1e-4);
    expect(worst2).toBeLessThan(1e-4);
  });
});

describe.runIf(native)('connected components', () => {
  it('splits equal labels that do not touch by a face, numbering in raster order', () => {
    // prettier-ignore
    const labels = new Uint16Array([
      5, 5, 0, 5,
      0, 5, 0, 5,
      7, 0, 5, 5,
    ]);
    const { labels: cc, count } = connectedComponentsSync(labels, [1, 3, 4]);
    expect(count).toBe(3);
    // (2,2)-(2,3) joins the right column; the diagonal (1,1)-(2,2) does not connect
    expect(Array.from(cc)).toEqual([1, 1, 0, 2, 0, 1, 0, 2, 3, 0, 2, 2]);
    // inPlane: the same label in consecutive sections stays two components
    const twoSections = connectedComponentsSync(new Uint8Array([4, 4]), [2, 1, 1], { inPlane: true });
    expect(Array.from(twoSections.labels)).toEqual([1, 2]);
    expect(Array.from(connectedComponentsSync(new Uint8Array([4, 4]), [2, 1, 1]).labels)).toEqual([1, 1]);
  });

  it('equals skimage.measure.label(connectivity=1) exactly, in 3D and per section', async () => {
    const py = python('connected components vs skimage', ['numpy', 'skimage']);
    if (!py) return;
    const shape = [5, 40, 37] as const;
    const labels = blobs(shape, 9, 3);
    const ours3d = await connectedComponents(labels, shape);
    const ours2d = connectedComponentsSync(BigUint64Array.from(labels, (v) => BigInt(v)), shape, { inPlane: true });
    const ref = pythonJson<{ l3: number[]; l2: number[] }>(
      `from skimage.measure import label
v = np.fromfile(paths[0], dtype=np.uint8).reshape(5, 40, 37)
l3 = label(v, background=0, connectivity=1)
l2 = np.zeros_like(l3)
off = 0
for z in range(5):
    s = label(v[z], background=0, connectivity=1)
    s[s > 0] += off
    off = max(off, int(s.max()))
    l2[z] = s
print(json.dumps({"l3": l3.ravel().tolist(), "l2": l2.ravel().tolist()}))`,
      [labels],
    );
    expect(Array.from(ours3d.labels)).toEqual(ref.l3);
    expect(Array.from(ours2d.labels)).toEqual(ref.l2);
    expect(ours3d.count).toBe(Math.max(...ref.l3));
  });
});
