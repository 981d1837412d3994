import type { Project } from '../store/project';
import { layersReport } from '../volumes/cli-commands';

/** A JSON-friendly description of a project for `info`. */
export function projectReport(project: Project) {
  const models = project.db.prepare('SELECT id, name, preset, path, created_at AS createdAt FROM models ORDER BY created_at').all() as {
    id: string;
    name: string;
    preset: string;
  }[];
  const jobs = project.db
    .prepare('SELECT id, kind, title, state, created_at AS createdAt, finished_at AS finishedAt FROM jobs ORDER BY created_at DESC LIMIT 20')
    .all();
  return { ...project.summary(), layers: layersReport(project), models, jobs };
}
