/**
 * Which device training and inference use, and why: onnxruntime's execution provider (CUDA
 * when its provider library loads, else CPU with the reason) and the selective-scan backend
 * (native CUDA, native CPU, or onnx LinearAttention). The same functions the engine calls
 * decide it, so what this reports is what runs.
 */
import { cpus, totalmem } from 'node:os';
import type { DeviceReport } from '../../shared/api/studio-ml';
import { chooseProvider, defaultThreads } from '../ml/runtime/ort';
import { resolveScanBackend } from '../ml/runtime/executor';
import { scanBackendInfo } from '../native/scan';

type Vec3 = [number, number, number];

/** Fine-tuning defaults per device: a GPU affords the larger preset, crop and budget. */
export const DEVICE_DEFAULTS = {
  cuda: { preset: 'base', crop: [16, 160, 160] as Vec3, steps: 1000, reason: 'a CUDA GPU runs the base preset (28.3M parameters) on full 16x160x160 crops' },
  cpu: { preset: 'tiny', crop: [16, 80, 80] as Vec3, steps: 200, reason: 'on the CPU the tiny preset (4.0M parameters) on 16x80x80 crops keeps a step to seconds' },
} as const;

export async function deviceReport(): Promise<DeviceReport> {
  const runtime = await chooseProvider('auto');
  const info = scanBackendInfo();
  const resolved = await resolveScanBackend('auto');
  const scanDevice = resolved.backend === 'native' && info.cuda.available ? 'cuda' : 'cpu';
  const threads = defaultThreads();
  const scanText =
    resolved.backend === 'native' ? `native ${scanDevice === 'cuda' ? `CUDA scan${info.cuda.device ? ` on ${info.cuda.device}` : ''}` : `CPU scan${info.cpu.simd ? ` (${info.cpu.simd.toUpperCase()})` : ''}`}` : `${resolved.backend} scan`;
  const summary = runtime.provider === 'cuda' ? `CUDA GPU, ${scanText}` : `CPU (${threads} threads), ${scanText}`;
  const defaults = runtime.provider === 'cuda' ? DEVICE_DEFAULTS.cuda : DEVICE_DEFAULTS.cpu;
  const cpuList = cpus();
  return {
    runtime: { provider: runtime.provider, reason: runtime.reason },
    scan: {
      backend: resolved.backend,
      device: scanDevice,
      reason: resolved.reason,
      cpu: { available: info.cpu.available, reason: info.cpu.reason, threads: info.cpu.threads, simd: info.cpu.simd },
      cuda: { available: info.cuda.available, reason: info.cuda.reason, device: info.cuda.device },
    },
    summary,
    recommended: { preset: defaults.preset, crop: [...defaults.crop] as Vec3, steps: defaults.steps, reason: defaults.reason },
    host: { cpu: cpuList[0]?.model.trim() ?? 'unknown', cores: cpuList.length, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10 },
  };
}

/** One line naming the device a job runs on (recorded with the run). */
export async function deviceLine(scan: 'auto' | 'native' | 'onnx' = 'auto'): Promise<string> {
  const runtime = await chooseProvider('auto');
  const resolved = await resolveScanBackend(scan).catch((e: Error) => ({ backend: scan, reason: e.message }));
  return `${runtime.provider === 'cuda' ? 'CUDA' : 'CPU'} (${runtime.reason}); scan: ${resolved.backend} (${resolved.reason})`;
}
