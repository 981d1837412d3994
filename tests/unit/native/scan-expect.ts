import { expect } from 'vitest';
import { selectiveScanBackwardRef, selectiveScanForwardRef } from '../../../src/main/ml/scan/reference';
import type { ScanGradients } from '../../../src/main/native/scan';
import { GRADIENT_NAMES, scaledError, type ScanProblem } from './scan-fixtures';

/** Tolerance of every kernel against the float64 reference, relative to max(1, max|ref|). */
export const SCAN_TOLERANCE = 2e-5;

export function expectMatchesReference(p: ScanProblem, y: Float32Array, g: ScanGradients, dy: Float32Array, label: string): void {
  expect(scaledError(y, selectiveScanForwardRef(p)), `${label} y`).toBeLessThan(SCAN_TOLERANCE);
  const ref = selectiveScanBackwardRef({ ...p, dy });
  for (const name of GRADIENT_NAMES) expect(scaledError(g[name], ref[name]), `${label} ${name}`).toBeLessThan(SCAN_TOLERANCE);
}
