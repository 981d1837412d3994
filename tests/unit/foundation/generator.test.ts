import { describe, expect, it } from 'vitest';
import { generateSyntheticEM, SyntheticEM } from '../../../src/main/synthetic/generator';

describe('synthetic EM generator', () => {
  const vol = generateSyntheticEM({ shape: [12, 96, 96], seed: 5 });
  const [Z, Y, X] = vol.shape;

  it('is deterministic for a seed and differs between seeds', () => {
    const again = generateSyntheticEM({ shape: [12, 96, 96], seed: 5 });
    expect(again.image).toEqual(vol.image);
    expect(again.labels).toEqual(vol.labels);
    const other = generateSyntheticEM({ shape: [12, 96, 96], seed: 6 });
    expect(other.labels).not.toEqual(vol.labels);
  });

  it('renders any region identically to the same part of the whole volume', () => {
    const em = new SyntheticEM({ shape: [12, 96, 96], seed: 5 });
    const start: [number, number, number] = [3, 17, 40];
    const size: [number, number, number] = [5, 33, 29];
    const r = em.render(start, size);
    for (let k = 0; k < size[0]; k++)
      for (let j = 0; j < size[1]; j++)
        for (let i = 0; i < size[2]; i++) {
          const a = (k * size[1] + j) * size[2] + i;
          const b = ((start[0] + k) * Y + start[1] + j) * X + start[2] + i;
          if (r.image[a] !== vol.image[b] || r.labels[a] !== vol.labels[b]) throw new Error(`mismatch at ${k},${j},${i}`);
        }
    expect(() => em.render([10, 0, 0], [5, 10, 10])).toThrow(/outside the volume/);
  });

  it('draws dark membranes (label 0) between brighter labelled cells', () => {
    let membraneSum = 0;
    let membraneN = 0;
    let cellSum = 0;
    let cellN = 0;
    for (let i = 0; i < vol.labels.length; i++) {
      if (vol.labels[i] === 0) {
        membraneSum += vol.image[i];
        membraneN++;
      } else {
        cellSum += vol.image[i];
        cellN++;
      }
    }
    const membraneFraction = membraneN / vol.labels.length;
    expect(membraneFraction).toBeGreaterThan(0.05);
    expect(membraneFraction).toBeLessThan(0.4);
    expect(cellSum / cellN - membraneSum / membraneN).toBeGreaterThan(50);
    // Cells never touch directly: a membrane (label 0) separates different ids.
    let contacts = 0;
    let pairs = 0;
    for (let z = 0; z < Z; z++)
      for (let y = 0; y < Y; y++)
        for (let x = 1; x < X; x++) {
          const a = vol.labels[(z * Y + y) * X + x];
          const b = vol.labels[(z * Y + y) * X + x - 1];
          if (a && b) {
            pairs++;
            if (a !== b) contacts++;
          }
        }
    expect(contacts / pairs).toBeLessThan(0.005);
  });

  it('makes neurite-like objects: many of them, continuing through sections, some ending inside', () => {
    const ids = new Set(vol.labels);
    ids.delete(0);
    expect(ids.size).toBeGreaterThan(20);
    const zExtent = new Map<number, [number, number]>();
    for (let z = 0; z < Z; z++)
      for (let i = 0; i < Y * X; i++) {
        const id = vol.labels[z * Y * X + i];
        if (!id) continue;
        const e = zExtent.get(id);
        if (!e) zExtent.set(id, [z, z]);
        else e[1] = z;
      }
    const spans = [...zExtent.values()].map(([a, b]) => b - a + 1);
    const full = spans.filter((s) => s === Z).length;
    expect(full / spans.length).toBeGreaterThan(0.4);
    expect(spans.some((s) => s < Z)).toBe(true);
    // Objects are elongated along z: most keep a large overlap between consecutive sections.
    let kept = 0;
    let total = 0;
    for (let z = 1; z < Z; z++)
      for (let i = 0; i < Y * X; i++) {
        const a = vol.labels[z * Y * X + i];
        if (!a) continue;
        total++;
        if (vol.labels[(z - 1) * Y * X + i] === a) kept++;
      }
    expect(kept / total).toBeGreaterThan(0.7);
  });

  it('adds noise and section-to-section drift', () => {
    const sectionMean = (z: number) => {
      let s = 0;
      for (let i = 0; i < Y * X; i++) s += vol.image[z * Y * X + i];
      return s / (Y * X);
    };
    const means = Array.from({ length: Z }, (_, z) => sectionMean(z));
    expect(Math.max(...means) - Math.min(...means)).toBeGreaterThan(3);
    // Pixel noise: neighbouring pixels inside one cell differ.
    let diffs = 0;
    for (let i = 1; i < 2000; i++) if (vol.labels[i] && vol.labels[i] === vol.labels[i - 1] && vol.image[i] !== vol.image[i - 1]) diffs++;
    expect(diffs).toBeGreaterThan(100);
  });
});
