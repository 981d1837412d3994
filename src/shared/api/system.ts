import { z } from 'zod';
import { method, NoParams } from './method';

export const SystemInfo = z.object({
  appVersion: z.string(),
  mode: z.enum(['electron', 'browser']),
  platform: z.string(),
  cpus: z.number(),
  cpuModel: z.string(),
  memoryBytes: z.number(),
  native: z.object({ available: z.boolean(), reason: z.string() }),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

export const systemApi = {
  'system.info': method(NoParams, SystemInfo),
};
