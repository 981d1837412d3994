import { z } from 'zod';
import { method, NoParams } from './method';

const FolderPath = z.string().trim().min(1, 'a folder path is required').max(4096);

export const ProjectInfo = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  createdAt: z.string(),
  schemaVersion: z.number().int(),
});
export type ProjectInfo = z.infer<typeof ProjectInfo>;

export const RecentProject = z.object({
  path: z.string(),
  name: z.string(),
  lastOpened: z.string(),
  exists: z.boolean(),
});
export type RecentProject = z.infer<typeof RecentProject>;

export const projectsApi = {
  'projects.recent': method(NoParams, z.array(RecentProject)),
  'projects.current': method(NoParams, ProjectInfo.nullable()),
  'projects.create': method(
    z.object({ path: FolderPath, name: z.string().trim().min(1).max(200).optional(), demo: z.boolean().optional() }).strict(),
    ProjectInfo,
  ),
  'projects.open': method(z.object({ path: FolderPath }).strict(), ProjectInfo),
  'projects.close': method(NoParams, z.object({ closed: z.boolean() })),
  /** Deletes a project folder; `confirmName` must equal the project's name. */
  'projects.delete': method(z.object({ path: FolderPath, confirmName: z.string() }).strict(), z.object({ deleted: z.literal(true) })),
  'projects.forget': method(z.object({ path: FolderPath }).strict(), z.array(RecentProject)),
};
