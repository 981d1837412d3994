import { cpus, totalmem } from 'node:os';
import { appVersion } from '../app-version';
import { nativeStatus } from '../native/addon';
import type { PartialHandlers } from './router';

export const systemHandlers: PartialHandlers = {
  'system.info': (_p, ctx) => {
    const native = nativeStatus();
    return {
      appVersion: appVersion(),
      mode: ctx.mode,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      native: { available: native.available, reason: native.reason },
    };
  },
};
