import { parentPort } from 'node:worker_threads';
import { surfaceNets, type Vec3 } from './surface-nets';

/** A piece to mesh: label voxels of the padded chunk region and the ids that form the segment. */
export interface MeshJob {
  id: number;
  labels: Uint32Array | Float64Array;
  /** Sorted ids belonging to the segment (the segment id, or its fragments). */
  ids: Float64Array;
  dims: Vec3;
  origin: Vec3;
  own: { min: Vec3; max: Vec3 };
  voxelSize: Vec3;
}

export type MeshReply =
  | { id: number; ok: true; positions: Float32Array; normals: Float32Array; indices: Uint32Array }
  | { id: number; ok: false; error: string };

function maskOf(labels: Uint32Array | Float64Array, ids: Float64Array): Uint8Array {
  const mask = new Uint8Array(labels.length);
  if (ids.length === 1) {
    const id = ids[0];
    for (let i = 0; i < labels.length; i++) mask[i] = labels[i] === id ? 1 : 0;
    return mask;
  }
  const set = new Set(ids);
  let last = -1;
  let lastIn = 0;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v !== last) {
      last = v;
      lastIn = v !== 0 && set.has(v) ? 1 : 0;
    }
    mask[i] = lastIn;
  }
  return mask;
}

/** Runs surface nets for one job (also used in-thread when no worker is wanted). */
export function runMeshJob(job: MeshJob): MeshReply {
  try {
    const piece = surfaceNets({ mask: maskOf(job.labels, job.ids), dims: job.dims, origin: job.origin, own: job.own, voxelSize: job.voxelSize });
    return { id: job.id, ok: true, ...piece };
  } catch (err) {
    return { id: job.id, ok: false, error: (err as Error)?.message ?? String(err) };
  }
}

const port = parentPort;
if (port) {
  port.on('message', (job: MeshJob) => {
    const reply = runMeshJob(job);
    port.postMessage(reply, reply.ok ? ([reply.positions.buffer, reply.normals.buffer, reply.indices.buffer] as ArrayBuffer[]) : []);
  });
}
