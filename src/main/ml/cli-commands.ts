/**
 * `tokenunify model info` and `tokenunify model import`: plain functions returning JSON-able
 * results, plus CliCommand wrappers for the CLI's command table.
 */
import { AppError } from '../errors';
import type { CliCommand } from '../cli/command';
import { JSON_OPTION } from '../cli/command';
import { type LoadReport, matchWeights, saveCheckpoint } from './checkpoint/index';
import { readPth } from './checkpoint/pth';
import type { TensorEntry } from './checkpoint/safetensors';
import { createModel, modelFromConfig } from './model';
import { DEFAULT_CROP, PRESET_NAMES, type SegMambaConfig, presetConfig } from './models/segmamba';
import { inferConfig } from './weights';

export interface ModelInfo {
  preset: string;
  config: SegMambaConfig;
  params: number;
  /** e.g. "28.30M" */
  paramsHuman: string;
  crop: number[];
  macsPerCrop: number;
  gmacsPerCrop: number;
  /** Mamba tokens per stage for the crop. */
  tokensPerStage: number[];
  weightsMiB: number;
}

export function parseCrop(s: string | undefined): [number, number, number] {
  if (!s) return [...DEFAULT_CROP] as [number, number, number];
  const parts = s.split(/[x,]/).map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p) || p <= 0)) throw new AppError('BAD_REQUEST', `--crop must look like 16x160x160, got '${s}'`);
  return parts as [number, number, number];
}

export function modelInfo(opts: { preset: string; crop?: readonly number[]; outChannels?: number }): ModelInfo {
  const model = createModel(opts.preset, opts.outChannels ? { outChannels: opts.outChannels } : {});
  const crop = [...(opts.crop ?? DEFAULT_CROP)];
  model.validateCrop(crop);
  const params = model.paramCount;
  const macs = model.macs(crop);
  return {
    preset: opts.preset,
    config: model.config,
    params,
    paramsHuman: `${(params / 1e6).toFixed(2)}M`,
    crop,
    macsPerCrop: macs,
    gmacsPerCrop: Math.round(macs / 1e7) / 100,
    tokensPerStage: [2, 4, 8, 16].map((f) => (crop[0] / f) * (crop[1] / f) * (crop[2] / f)),
    weightsMiB: Math.round((params * 4) / 2 ** 20),
  };
}

export interface ImportSummary {
  source: string;
  output: string;
  preset: string;
  config: SegMambaConfig;
  stateDictKey: string;
  otherKeys: string[];
  loaded: number;
  report: LoadReport;
}

/** Converts an official TokenUnify `.pth` into an engine checkpoint (safetensors). */
export function modelImport(opts: { file: string; out: string; preset?: string; strict?: boolean }): ImportSummary {
  const pth = readPth(opts.file);
  let preset: string;
  let config: SegMambaConfig;
  if (opts.preset) {
    preset = opts.preset;
    const out = [...pth.tensors].find(([k]) => k.endsWith('out.conv.conv.weight'))?.[1];
    config = presetConfig(preset, out ? { outChannels: out.shape[0] } : {});
  } else {
    ({ preset, config } = inferConfig(pth.tensors));
  }
  const model = modelFromConfig(config, preset);
  const { weights, report } = matchWeights(pth.tensors, model.specs);
  report.unexpected.push(...pth.skipped.map((s) => `${s} (not a tensor)`));
  if (opts.strict && (report.missing.length || report.unexpected.length)) {
    throw new AppError('BAD_REQUEST', `${opts.file} does not match preset '${preset}': ${report.missing.length} missing, ${report.unexpected.length} unexpected keys (first missing: ${report.missing.slice(0, 3).join(', ')})`);
  }
  if (report.loaded.length === 0) throw new AppError('BAD_REQUEST', `${opts.file}: no tensor matches a SegMamba parameter; is it a TokenUnify checkpoint?`);
  const tensors = new Map<string, TensorEntry>();
  for (const s of model.specs) {
    const w = weights.get(s.name);
    if (w) tensors.set(s.name, { shape: s.shape, data: w });
  }
  saveCheckpoint(opts.out, {
    meta: { format: 'tokenunify-checkpoint', version: 1, preset, config, extra: { importedFrom: opts.file, loadReport: { missing: report.missing, unexpected: report.unexpected } } },
    weights: tensors,
  });
  return { source: opts.file, output: opts.out, preset, config, stateDictKey: pth.stateDictKey, otherKeys: pth.otherKeys, loaded: report.loaded.length, report };
}

export const modelInfoCommand: CliCommand = {
  name: 'model info',
  summary: 'Parameter count, weights size and MACs per crop of a SegMamba preset.',
  args: [],
  options: {
    preset: { type: 'string', description: `model preset: ${PRESET_NAMES.join(', ')}`, default: 'tiny' },
    crop: { type: 'string', description: 'crop size ZxYxX for the MAC count', default: DEFAULT_CROP.join('x') },
    'out-channels': { type: 'string', description: 'output channels of the head', default: '3' },
    ...JSON_OPTION,
  },
  async run(input, io) {
    const info = modelInfo({
      preset: String(input.values.preset ?? 'tiny'),
      crop: parseCrop(input.values.crop as string | undefined),
      outChannels: input.values['out-channels'] ? Number(input.values['out-channels']) : undefined,
    });
    if (input.values.json) io.json(info);
    else {
      io.out(`SegMamba ${info.preset}: ${info.paramsHuman} parameters (${info.params}), ${info.weightsMiB} MiB of float32 weights`);
      io.out(`features ${info.config.featureSize.join('/')}, hidden ${info.config.hiddenSize}, kernel ${info.config.kernelSize.join('x')}, ${info.config.outChannels} output channels`);
      io.out(`${info.gmacsPerCrop} GMACs per ${info.crop.join('x')} crop; Mamba tokens per stage ${info.tokensPerStage.join(', ')}`);
    }
    return 0;
  },
};

export const modelImportCommand: CliCommand = {
  name: 'model import',
  summary: 'Convert an official TokenUnify .pth checkpoint (restricted unpickler) into a .safetensors checkpoint.',
  args: ['FILE.pth', 'OUT.safetensors'],
  options: {
    preset: { type: 'string', description: 'model preset (default: inferred from the tensor shapes)' },
    strict: { type: 'boolean', description: 'fail on any missing or unexpected key' },
    ...JSON_OPTION,
  },
  details: 'The .pth is read with a restricted unpickler that never executes code. DataParallel "module." prefixes are stripped.',
  async run(input, io) {
    const [file, out] = input.positionals;
    const r = modelImport({ file, out, preset: input.values.preset as string | undefined, strict: Boolean(input.values.strict) });
    if (input.values.json) io.json(r);
    else {
      io.out(`imported ${r.loaded} tensors from ${r.source} (state dict under '${r.stateDictKey || '<root>'}') as preset ${r.preset} into ${r.output}`);
      if (r.report.missing.length) io.out(`missing (kept at initialisation): ${r.report.missing.join(', ')}`);
      if (r.report.unexpected.length) io.out(`unexpected (ignored): ${r.report.unexpected.join(', ')}`);
      for (const m of r.report.mismatched) io.out(`shape mismatch ${m.name}: checkpoint [${m.found}] vs model [${m.expected}]`);
    }
    return 0;
  },
};
