import { describe, expect, it } from 'vitest';
import { gradCheck } from './gradcheck';
import { cases } from './op-cases';

describe('gradient checks (central differences in the float64 IR interpreter)', () => {
  for (const [name, build, opts] of cases) {
    it(name, () => {
      const r = gradCheck(build, opts);
      expect(r.checked).toBeGreaterThan(0);
      expect(r.maxRelErr, r.worst).toBeLessThan(1e-6);
    });
  }
});
