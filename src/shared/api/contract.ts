import { z } from 'zod';
import { exportsApi } from './exports';
import { jobsApi, JobInfo } from './jobs';
import type { MethodSpec } from './method';
import { ProjectInfo, projectsApi } from './projects';
import { pipelineApi } from './pipeline';
import { proofreadingApi, proofreadingEvents } from './proofreading';
import { studioMlApi, studioMlEvents } from './studio-ml';
import { systemApi } from './system';
import { volumesApi, volumesEvents } from './volumes';

/**
 * The one API between the renderer and the main-process services. Electron IPC and the
 * browser-mode WebSocket carry exactly these methods and events; both sides validate
 * against these schemas. Each domain declares its methods in its own file.
 */
export const contract = {
  ...systemApi,
  ...projectsApi,
  ...jobsApi,
  ...volumesApi,
  ...proofreadingApi,
  ...pipelineApi,
  ...exportsApi,
  ...studioMlApi,
} satisfies Record<string, MethodSpec>;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type Params<M extends MethodName> = z.input<Contract[M]['params']>;
export type Result<M extends MethodName> = z.output<Contract[M]['result']>;

/** Events pushed from the main process to every connected renderer. */
export const events = {
  'job.updated': JobInfo,
  'job.event': z.object({ jobId: z.string(), kind: z.string(), data: z.unknown() }),
  'project.changed': ProjectInfo.nullable(),
  ...volumesEvents,
  ...proofreadingEvents,
  ...studioMlEvents,
} satisfies Record<string, z.ZodType>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventData<E extends EventName> = z.output<Events[E]>;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract, name);
}

/** Messages of the transport (both WebSocket and IPC use these shapes). */
export interface RequestMessage {
  id: number;
  method: string;
  params: unknown;
}
export type ResponseMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string; details?: unknown } };
export interface EventMessage {
  event: EventName;
  data: unknown;
}
