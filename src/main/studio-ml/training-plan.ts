/**
 * What "fine-tune on my corrections" trains on: the labelled voxels of a proofread layer
 * (label-scan.ts), split into a training region and a held-out validation region, with
 * counts and clear thresholds for "too little".
 *
 * Validation region, in order of preference: a region the user chose; the newest box with role
 * 'validation'; else automatic: the labelled voxels' bounding box is cut across its longer
 * in-plane axis so that the last ~20% of the labelled voxels are held out (both sides must keep
 * labels). The training region is the part of the bounding box beside the validation region
 * that holds the most labelled voxels; the pipeline draws crops only there.
 */
import type { TrainingDataSummary, ValidationChoice } from '../../shared/api/studio-ml';
import { AppError } from '../errors';
import type { Project } from '../store/project';
import { boxSize, formatBox, type Box, type Vec3 } from '../volumes/box';
import { getLayer } from '../volumes/layers';
import type { VolumeService } from '../volumes/service';
import { LabelScan, layerScanSource, type ScanBlock } from './label-scan';
import { listBoxes } from './training-boxes';

/** Below these, the dialog warns (training may still start). */
export const DATA_THRESHOLDS = {
  /** Distinct labelled objects (done segments, segments inside boxes). */
  minObjects: 10,
  /** Labelled voxels: about one 16x80x80 crop. */
  minVoxels: 100_000,
  /** Objects in the validation region: fewer make validation VOI noisy. */
  minValidationObjects: 3,
} as const;

export const VALIDATION_FRACTION = 0.2;

export interface LabelStats {
  voxels: number;
  objects: number;
  bounds: Box | null;
  /** Labelled voxels per plane along z, y and x. */
  histograms: [Float64Array, Float64Array, Float64Array];
}

export function emptyStats(shape: Vec3): LabelStats {
  return { voxels: 0, objects: 0, bounds: null, histograms: [new Float64Array(shape[0]), new Float64Array(shape[1]), new Float64Array(shape[2])] };
}

/** Adds a block's labelled voxels to per-axis histograms, bounds and the object set. */
export function accumulate(stats: LabelStats, objects: Set<number>, b: ScanBlock): void {
  const size = boxSize(b.box);
  let o = 0;
  for (let z = 0; z < size[0]; z++)
    for (let y = 0; y < size[1]; y++)
      for (let x = 0; x < size[2]; x++, o++) {
        if (!b.labelled[o]) continue;
        const p: Vec3 = [b.box.min[0] + z, b.box.min[1] + y, b.box.min[2] + x];
        stats.voxels++;
        for (let a = 0; a < 3; a++) stats.histograms[a][p[a]]++;
        if (!stats.bounds) stats.bounds = { min: [...p] as Vec3, max: [p[0] + 1, p[1] + 1, p[2] + 1] };
        else
          for (let a = 0; a < 3; a++) {
            if (p[a] < stats.bounds.min[a]) stats.bounds.min[a] = p[a];
            if (p[a] + 1 > stats.bounds.max[a]) stats.bounds.max[a] = p[a] + 1;
          }
        const s = b.segments[o];
        if (s !== 0) objects.add(s);
      }
  stats.objects = objects.size;
}

function sum(h: Float64Array, from: number, to: number): number {
  let s = 0;
  for (let i = Math.max(0, from); i < Math.min(h.length, to); i++) s += h[i];
  return s;
}

/**
 * The automatic split: the last `fraction` of the labelled voxels along the longer in-plane axis
 * of their bounds (then the other in-plane axis, then z) becomes validation. Null when no axis
 * leaves labels on both sides.
 */
export function autoSplit(stats: LabelStats, fraction = VALIDATION_FRACTION): { train: Box; val: Box; axis: number } | null {
  const b = stats.bounds;
  if (!b || stats.voxels === 0) return null;
  const size = boxSize(b);
  const axes = size[1] >= size[2] ? [1, 2, 0] : [2, 1, 0];
  for (const a of axes) {
    if (size[a] < 2) continue;
    const h = stats.histograms[a];
    const target = fraction * stats.voxels;
    let acc = 0;
    let cut = b.max[a];
    while (cut > b.min[a] + 1 && acc < target) acc += h[--cut];
    if (acc >= stats.voxels || cut <= b.min[a]) continue;
    const train: Box = { min: [...b.min] as Vec3, max: [...b.max] as Vec3 };
    const val: Box = { min: [...b.min] as Vec3, max: [...b.max] as Vec3 };
    train.max[a] = cut;
    val.min[a] = cut;
    return { train, val, axis: a };
  }
  return null;
}

/**
 * Training region beside a given validation region: of the six slabs of the labelled bounds on
 * either side of it, the one holding the most labelled voxels (exact from the histograms, since
 * the bounds hold every labelled voxel). Null when no slab holds any.
 */
export function trainBeside(stats: LabelStats, val: Box): Box | null {
  const b = stats.bounds;
  if (!b) return null;
  let best: { box: Box; voxels: number } | null = null;
  for (let a = 0; a < 3; a++) {
    const h = stats.histograms[a];
    const below: Box = { min: [...b.min] as Vec3, max: [...b.max] as Vec3 };
    below.max[a] = Math.min(b.max[a], val.min[a]);
    const above: Box = { min: [...b.min] as Vec3, max: [...b.max] as Vec3 };
    above.min[a] = Math.max(b.min[a], val.max[a]);
    for (const side of [below, above]) {
      if (side.max[a] <= side.min[a]) continue;
      const voxels = sum(h, side.min[a], side.max[a]);
      if (voxels > 0 && (!best || voxels > best.voxels)) best = { box: side, voxels };
    }
  }
  return best?.box ?? null;
}

export interface SplitCounts {
  voxels: number;
  objects: number;
}

export interface Assessment {
  errors: string[];
  warnings: string[];
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Errors (training cannot start) and warnings (too little data) for a planned split. */
export function assessTrainingData(o: {
  labeledVoxels: number;
  objects: number;
  doneSegments: number;
  boxes: number;
  bounds: Box | null;
  train: SplitCounts & { region: Box | null };
  val: SplitCounts & { region: Box | null };
  crop?: Vec3;
}): Assessment {
  const errors: string[] = [];
  const warnings: string[] = [];
  const t = DATA_THRESHOLDS;
  if (o.labeledVoxels === 0) {
    errors.push('No training labels yet: mark segments as done in the Segments panel, or add a box around a region you labelled completely.');
    return { errors, warnings };
  }
  if (!o.val.region) errors.push('The labels cannot be split into a training and a validation part (they span a single plane); add a box with the role "validation" or choose a validation region.');
  else if (o.val.objects === 0) errors.push(`The validation region ${formatBox(o.val.region)} holds no labelled object; choose another validation region or box.`);
  if (o.val.region && (!o.train.region || o.train.voxels === 0)) errors.push('No labelled voxels are left for training beside the validation region; label more, or choose a smaller validation region.');
  if (o.objects < t.minObjects) {
    warnings.push(`Only ${o.objects} labelled object${o.objects === 1 ? '' : 's'} (at least ${t.minObjects} recommended): the model learns boundaries between objects, so mark more segments as done.`);
  }
  if (o.labeledVoxels < t.minVoxels) {
    warnings.push(`Only ${fmt(o.labeledVoxels)} labelled voxels (at least ${fmt(t.minVoxels)}, about one 16x80x80 crop, recommended): expect little improvement.`);
  }
  if (o.val.region && o.val.objects > 0 && o.val.objects < t.minValidationObjects) {
    warnings.push(`The validation region holds ${o.val.objects} object${o.val.objects === 1 ? '' : 's'} (at least ${t.minValidationObjects} recommended): validation VOI will be noisy.`);
  }
  if (o.crop && o.bounds) {
    const size = boxSize(o.bounds);
    if (size[1] < o.crop[1] / 2 || size[2] < o.crop[2] / 2) {
      warnings.push(`The labels cover ${size[1]}x${size[2]} voxels in plane, less than half a ${o.crop[1]}x${o.crop[2]} crop: most of every crop is unlabelled.`);
    }
  }
  return { errors, warnings };
}

export interface TrainingPlan {
  summary: TrainingDataSummary;
  /** Regions for the pipeline (null when errors block training). */
  regions: { train: Box; val: Box } | null;
}

/** Reads the labelled voxels (two passes over the relevant chunks) and plans the split. */
export async function planTrainingData(
  project: Project,
  service: VolumeService,
  req: { labels: string; image: string; validation?: ValidationChoice; crop?: Vec3 },
  signal?: AbortSignal,
): Promise<TrainingPlan> {
  const labelsLayer = getLayer(project, req.labels);
  const image = getLayer(project, req.image);
  if (image.kind !== 'image') throw new AppError('BAD_REQUEST', `layer '${image.name}' is an ${image.kind} layer; training needs the image (EM) layer`);
  if (!labelsLayer.shape.every((s, a) => s === image.shape[a])) {
    throw new AppError('BAD_REQUEST', `labels '${labelsLayer.name}' are ${labelsLayer.shape.join('x')} but image '${image.name}' is ${image.shape.join('x')}; they must match`);
  }
  const boxes = listBoxes(project, labelsLayer.id);
  const scan = LabelScan.open(project, layerScanSource(project, service, labelsLayer.id), boxes.map((b) => b.box));
  const stats = emptyStats(labelsLayer.shape);
  const objects = new Set<number>();
  await scan.forEachBlock((b) => accumulate(stats, objects, b), signal);

  let source: 'auto' | 'box' | 'region' = 'auto';
  let regions: { train: Box; val: Box } | null = null;
  const valBoxes = boxes.filter((b) => b.role === 'validation');
  let val: Box | null = null;
  if (req.validation?.kind === 'region') {
    source = 'region';
    val = req.validation.box as Box;
    if (!val.min.every((v, a) => v >= 0 && v < val!.max[a] && val!.max[a] <= image.shape[a])) throw new AppError('BAD_REQUEST', `validation region ${formatBox(val)} is empty or outside the volume (${image.shape.join('x')})`);
  } else if (valBoxes.length > 0) {
    source = 'box';
    val = valBoxes[valBoxes.length - 1].box;
  }
  if (val) {
    const train = trainBeside(stats, val);
    regions = train ? { train, val } : null;
  } else {
    const split = autoSplit(stats);
    regions = split ? { train: split.train, val: split.val } : null;
  }

  // Second pass: labelled voxels and objects on each side.
  const sides = { train: { voxels: 0, objects: new Set<number>() }, val: { voxels: 0, objects: new Set<number>() } };
  const valRegion = regions?.val ?? val;
  const trainRegion = regions?.train ?? null;
  if (valRegion || trainRegion) {
    await scan.forEachBlock((b) => {
      const size = boxSize(b.box);
      let o = 0;
      for (let z = 0; z < size[0]; z++)
        for (let y = 0; y < size[1]; y++)
          for (let x = 0; x < size[2]; x++, o++) {
            if (!b.labelled[o]) continue;
            const p = [b.box.min[0] + z, b.box.min[1] + y, b.box.min[2] + x];
            for (const [side, region] of [
              ['train', trainRegion],
              ['val', valRegion],
            ] as const) {
              if (!region || !p.every((v, a) => v >= region.min[a] && v < region.max[a])) continue;
              sides[side].voxels++;
              if (b.segments[o] !== 0) sides[side].objects.add(b.segments[o]);
            }
          }
    }, signal);
  }
  const train = { region: trainRegion, voxels: sides.train.voxels, objects: sides.train.objects.size };
  const validation = { region: valRegion, voxels: sides.val.voxels, objects: sides.val.objects.size, source };
  const { errors, warnings } = assessTrainingData({
    labeledVoxels: stats.voxels,
    objects: stats.objects,
    doneSegments: scan.doneSegments.length,
    boxes: boxes.length,
    bounds: stats.bounds,
    train,
    val: validation,
    crop: req.crop,
  });
  if (source === 'box' && valBoxes.length > 1) warnings.push(`${valBoxes.length} validation boxes: the newest (${formatBox(valBoxes[valBoxes.length - 1].box)}) is used.`);
  return {
    summary: {
      labels: labelsLayer.id,
      image: image.id,
      doneSegments: scan.doneSegments.length,
      boxes,
      labeledVoxels: stats.voxels,
      objects: stats.objects,
      bounds: stats.bounds,
      train,
      validation,
      errors,
      warnings,
      thresholds: { ...DATA_THRESHOLDS },
    },
    regions: errors.length === 0 ? regions : null,
  };
}
