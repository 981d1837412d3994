import { z } from 'zod';
import { JobInfo } from './jobs';
import { method, NoParams } from './method';
import { VoxelBox, VoxelVec3 } from './volumes';

/**
 * Proofreading: segments, the fragment -> segment mapping, label edits with unlimited
 * undo/redo, annotations (bookmarks, to-dos) and segment meshes. Coordinates are level-0
 * voxels [z, y, x]; ids are non-negative integers (0 = background).
 */

/** A typed array of the given kind (any backing buffer), as the wire and IPC deliver it. */
function typedArray<T>(ctor: abstract new (...args: never[]) => T, name: string) {
  return z.custom<T>((v) => v instanceof ctor, { message: `expected a ${name}` });
}
const U8 = typedArray<Uint8Array>(Uint8Array, 'Uint8Array');
const U16 = typedArray<Uint16Array>(Uint16Array, 'Uint16Array');
const U32 = typedArray<Uint32Array>(Uint32Array, 'Uint32Array');
const F32 = typedArray<Float32Array>(Float32Array, 'Float32Array');

const LayerId = z.string().trim().min(1, 'a layer id is required').max(200);
export const SegmentId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const PositiveSegmentId = SegmentId.min(1, 'segment id 0 is the background');
export const ViewAxis = z.enum(['z', 'y', 'x']);
export type ViewAxis = z.infer<typeof ViewAxis>;

export const SegmentStatus = z.enum(['unreviewed', 'in_progress', 'done']);
export type SegmentStatus = z.infer<typeof SegmentStatus>;

export const Segment = z.object({
  id: z.number(),
  name: z.string().nullable(),
  /** '#rrggbb', or null for the renderer's stable hashed colour. */
  color: z.string().nullable(),
  status: SegmentStatus,
  notes: z.string(),
  locked: z.boolean(),
  voxelCount: z.number(),
  /** Fragment layers: how many fragments the segment has; null on plain label layers. */
  fragmentCount: z.number().nullable(),
});
export type Segment = z.infer<typeof Segment>;

export const SegmentList = z.object({
  layerId: z.string(),
  /** False until the layer's voxel counts are computed (a job, started by this call when needed). */
  indexed: z.boolean(),
  indexJob: JobInfo.nullable(),
  /** Segments matching the query (before offset/limit). */
  total: z.number(),
  segments: z.array(Segment),
});
export type SegmentList = z.infer<typeof SegmentList>;

export const HistoryEntry = z.object({
  id: z.number(),
  layerId: z.string(),
  kind: z.enum(['paint', 'erase', 'fill', 'merge', 'split', 'interpolate', 'mapping']),
  label: z.string(),
  voxels: z.number(),
  segments: z.array(z.number()),
  undone: z.boolean(),
  createdAt: z.string(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const HistoryState = z.object({
  canUndo: z.boolean(),
  canRedo: z.boolean(),
  /** What undo / redo would do next. */
  undo: HistoryEntry.nullable(),
  redo: HistoryEntry.nullable(),
  applied: z.number(),
  undone: z.number(),
});
export type HistoryState = z.infer<typeof HistoryState>;

export const EditResult = z.object({
  edit: HistoryEntry,
  /** Voxels whose stored label changed. */
  changedVoxels: z.number(),
  /** Ids the edit created (paint/fill with a fresh id, the new parts of a split). */
  newSegmentIds: z.array(z.number()),
  history: HistoryState,
});
export type EditResult = z.infer<typeof EditResult>;

export const UndoResult = z.object({ edit: HistoryEntry, history: HistoryState });
export type UndoResult = z.infer<typeof UndoResult>;

/** Voxels an edit would change, without changing them. */
export const VoxelPreview = z.object({
  layerId: z.string(),
  voxels: z.number(),
  /** Bounding box of the changed voxels; null when nothing would change. */
  box: VoxelBox.nullable(),
  /** One byte per voxel of `box`, C-order [z][y][x]: 1 where the voxel would change. */
  mask: U8,
  /** The commit needs `confirm: true` (more voxels than the confirmation threshold). */
  requiresConfirm: z.boolean(),
});
export type VoxelPreview = z.infer<typeof VoxelPreview>;

export const SplitPreview = z.object({
  layerId: z.string(),
  segmentId: z.number(),
  /** 'fragments': whole fragments change segment (mapping only); 'voxels': voxels are relabelled. */
  mode: z.enum(['fragments', 'voxels']),
  box: VoxelBox,
  /** One uint16 per voxel of `box`: seed group 1..G of each segment voxel, 0 outside the segment. */
  labels: U16,
  groupSizes: z.array(z.number()),
  /** Segment voxels no seed reaches; they stay with group 1 (the original id). */
  unreached: z.number(),
  requiresConfirm: z.boolean(),
});
export type SplitPreview = z.infer<typeof SplitPreview>;

export const Mapping = z.object({
  layerId: z.string(),
  /** Increases with every mapping change; compare with mapping.changed events. */
  version: z.number(),
  /** Sorted fragment ids and their segment ids (same length). */
  fragments: U32,
  segments: U32,
});
export type Mapping = z.infer<typeof Mapping>;

export const AnnotationKind = z.enum(['bookmark', 'todo']);
export const Annotation = z.object({
  id: z.number(),
  layerId: z.string().nullable(),
  kind: AnnotationKind,
  position: VoxelVec3,
  text: z.string(),
  done: z.boolean(),
  createdAt: z.string(),
});
export type Annotation = z.infer<typeof Annotation>;

export const SegmentMesh = z.object({
  segmentId: z.number(),
  level: z.number(),
  /** x, y, z per vertex in nanometres (voxel centres at (i + 0.5) * voxel size). */
  positions: F32,
  /** Unit outward normals, x, y, z per vertex. */
  normals: F32,
  /** Triangles, counter-clockwise seen from outside. */
  indices: U32,
  /** Chunk pieces the mesh is stitched from, and how many were (re)built for this call. */
  chunks: z.number(),
  rebuiltChunks: z.number(),
});
export type SegmentMesh = z.infer<typeof SegmentMesh>;

export const ProofreadingSettings = z.object({
  /** Edits changing more voxels than this need `confirm: true`. */
  confirmVoxels: z.number().int().positive(),
  /** The history keeps chunk versions up to this many bytes (oldest edits are forgotten first); 0 = no limit. */
  historyMaxBytes: z.number().int().nonnegative(),
});
export type ProofreadingSettings = z.infer<typeof ProofreadingSettings>;

const Confirm = z.boolean().optional();
const Points = z.array(VoxelVec3).min(1).max(100_000);

export const PaintRequest = z
  .object({
    layerId: LayerId,
    /** Id painted (ignored by erase). */
    segmentId: SegmentId,
    erase: z.boolean().optional(),
    /** Brush: disks of `radius` voxels around each point (and along the stroke between them) in the plane across `axis`. */
    axis: ViewAxis.optional(),
    points: Points.optional(),
    radius: z.number().min(0).max(512).optional(),
    /** Explicit voxels, [z, y, x] triples (instead of or besides the brush). */
    voxels: U32.optional(),
    /** false: paint only background voxels. Default true. */
    overwrite: z.boolean().optional(),
    /** Erase: only voxels of this segment. */
    onlySegment: PositiveSegmentId.optional(),
    confirm: Confirm,
  })
  .strict();
export type PaintRequest = z.infer<typeof PaintRequest>;

export const FillRequest = z
  .object({
    layerId: LayerId,
    /** The region is the connected set of voxels of the seed's segment (6-connected; 4 in 2D). */
    seed: VoxelVec3,
    segmentId: SegmentId,
    mode: z.enum(['2d', '3d']),
    /** 2D: the plane across this axis through the seed. */
    axis: ViewAxis.optional(),
    /** Bound of the fill (level-0 voxels, max exclusive). */
    box: VoxelBox.optional(),
    /** The fill fails (changes nothing) when its region has more voxels. Default 1,000,000 (3D), unbounded in 2D. */
    maxVoxels: z.number().int().positive().optional(),
    confirm: Confirm,
  })
  .strict();
export type FillRequest = z.infer<typeof FillRequest>;

export const MergeRequest = z
  .object({
    layerId: LayerId,
    /** The segment that remains (selected first). */
    target: PositiveSegmentId,
    /** The segment merged into the target (selected second). */
    source: PositiveSegmentId,
    confirm: Confirm,
  })
  .strict();
export type MergeRequest = z.infer<typeof MergeRequest>;

export const SplitSourceSpec = z
  .object({
    /** Image, boundary or affinity layer the watershed follows; absent: the segment's shape (distance transform). */
    layerId: LayerId,
    /** true when boundaries are bright (boundary / membrane probability maps); EM membranes are dark. */
    brightBoundaries: z.boolean().optional(),
  })
  .strict();

export const SplitRequest = z
  .object({
    layerId: LayerId,
    segmentId: PositiveSegmentId,
    /** Two or more groups of seed voxels, all inside the segment. Group 1 keeps the segment's id. */
    seeds: z.array(z.array(VoxelVec3).min(1).max(1000)).min(2).max(64),
    source: SplitSourceSpec.optional(),
    /** Restrict the split to this box (voxels of the segment outside keep their id). Default: the segment's bounding box. */
    box: VoxelBox.optional(),
    /** Flood within each z-section only (anisotropic data). */
    inPlane: z.boolean().optional(),
    confirm: Confirm,
  })
  .strict();
export type SplitRequest = z.infer<typeof SplitRequest>;

export const InterpolateRequest = z
  .object({
    layerId: LayerId,
    segmentId: PositiveSegmentId,
    axis: ViewAxis,
    /** Two slice indices along `axis` where the segment's shape was painted. */
    from: z.number().int().nonnegative(),
    to: z.number().int().nonnegative(),
    /** false (default): fill only background voxels between the slices. */
    overwrite: z.boolean().optional(),
    confirm: Confirm,
  })
  .strict();
export type InterpolateRequest = z.infer<typeof InterpolateRequest>;

const SegmentListRequest = z
  .object({
    layerId: LayerId,
    /** Digits: ids starting with them; text: names containing it (case-insensitive). */
    query: z.string().max(200).optional(),
    status: SegmentStatus.optional(),
    /** Include segments with no voxels (merged away, erased, allocated but unpainted). */
    includeEmpty: z.boolean().optional(),
    sort: z.enum(['id', 'size']).optional(),
    descending: z.boolean().optional(),
    offset: z.number().int().nonnegative().optional(),
    limit: z.number().int().positive().max(10_000).optional(),
  })
  .strict();

const SegmentUpdate = z
  .object({
    layerId: LayerId,
    id: PositiveSegmentId,
    name: z.string().trim().max(200).nullable().optional(),
    color: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, "colour must be '#rrggbb'")
      .nullable()
      .optional(),
    status: SegmentStatus.optional(),
    notes: z.string().max(10_000).optional(),
    locked: z.boolean().optional(),
  })
  .strict();

export const proofreadingApi = {
  'segments.list': method(SegmentListRequest, SegmentList),
  'segments.get': method(z.object({ layerId: LayerId, ids: z.array(PositiveSegmentId).min(1).max(10_000) }).strict(), z.array(Segment)),
  /** Name, colour, status, notes, lock. Not part of the undo history. */
  'segments.update': method(SegmentUpdate, Segment),
  /** A fresh id for "new segment" (never used before in this layer). */
  'segments.allocate': method(z.object({ layerId: LayerId }).strict(), z.object({ id: z.number() })),
  /** Where a segment is: its (chunk-granular) bounding box and one voxel inside it, to jump to. */
  'segments.locate': method(
    z.object({ layerId: LayerId, id: PositiveSegmentId }).strict(),
    z.object({ box: VoxelBox, point: VoxelVec3, voxelCount: z.number() }),
  ),
  /** The stored label and the segment at a voxel (pick id under the cursor). */
  'segments.at': method(z.object({ layerId: LayerId, position: VoxelVec3 }).strict(), z.object({ label: z.number(), segmentId: z.number() })),
  /** The whole fragment -> segment mapping of a fragment layer as typed arrays. */
  'mapping.get': method(z.object({ layerId: LayerId }).strict(), Mapping),
  /** Computes a layer's voxel counts and chunk index (a job) unless already done. */
  'proofreading.prepare': method(z.object({ layerId: LayerId }).strict(), z.object({ indexed: z.boolean(), job: JobInfo.nullable() })),
  /** Copies a read-only or in-place layer into the project store as a new editable layer (a job). */
  'proofreading.makeEditableCopy': method(
    z.object({ layerId: LayerId, name: z.string().trim().min(1).max(120).optional() }).strict(),
    JobInfo,
  ),
  'proofreading.settings': method(NoParams, ProofreadingSettings),
  'proofreading.setSettings': method(ProofreadingSettings.partial().strict(), ProofreadingSettings),

  'edits.paint': method(PaintRequest, EditResult),
  'edits.fill': method(FillRequest, EditResult),
  'edits.fillPreview': method(FillRequest, VoxelPreview),
  /** Merge `source` into `target`: fragment layers change the mapping, plain layers relabel the source's voxels. */
  'edits.merge': method(MergeRequest, EditResult),
  'edits.split': method(SplitRequest, EditResult),
  'edits.splitPreview': method(SplitRequest, SplitPreview),
  'edits.interpolate': method(InterpolateRequest, EditResult),
  'edits.interpolatePreview': method(InterpolateRequest, VoxelPreview),

  'history.list': method(
    z.object({ limit: z.number().int().positive().max(10_000).optional(), layerId: LayerId.optional() }).strict(),
    z.object({ entries: z.array(HistoryEntry), state: HistoryState }),
  ),
  'history.undo': method(NoParams, UndoResult),
  'history.redo': method(NoParams, UndoResult),

  'annotations.list': method(z.object({ layerId: LayerId.optional(), kind: AnnotationKind.optional() }).strict(), z.array(Annotation)),
  'annotations.create': method(
    z.object({ kind: AnnotationKind, position: VoxelVec3, text: z.string().max(10_000).optional(), layerId: LayerId.optional() }).strict(),
    Annotation,
  ),
  'annotations.update': method(
    z.object({ id: z.number().int().positive(), text: z.string().max(10_000).optional(), done: z.boolean().optional(), position: VoxelVec3.optional() }).strict(),
    Annotation,
  ),
  'annotations.delete': method(z.object({ id: z.number().int().positive() }).strict(), z.object({ deleted: z.literal(true) })),

  /** Meshes of segments at a resolution level (default: the finest level with at most 2^24 voxels). */
  'meshes.get': method(
    z.object({ layerId: LayerId, segmentIds: z.array(PositiveSegmentId).min(1).max(32), level: z.number().int().nonnegative().optional() }).strict(),
    z.object({ meshes: z.array(SegmentMesh) }),
  ),
};

export const LabelsChanged = z.object({
  layerId: z.string(),
  /** Chunks rewritten, per level: refresh exactly these. */
  levels: z.array(z.object({ level: z.number(), chunks: z.array(VoxelVec3) })),
  /** Level-0 box around the changed voxels. */
  box: VoxelBox,
});

export const proofreadingEvents = {
  /** Rows of these segments changed (counts, name, colour, status, lock); `all`: reload the list. */
  'segments.changed': z.object({ layerId: z.string(), ids: z.array(z.number()), all: z.boolean() }),
  /** Mapping entries that changed (segment 0: the fragment no longer exists). */
  'mapping.changed': z.object({
    layerId: z.string(),
    version: z.number(),
    fragments: U32,
    segments: U32,
  }),
  'labels.changed': LabelsChanged,
  'history.changed': HistoryState,
  'annotations.changed': z.object({ ids: z.array(z.number()) }),
};
