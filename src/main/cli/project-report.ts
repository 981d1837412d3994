import type { Project } from '../store/project';

export interface LayerRow {
  id: string;
  name: string;
  kind: string;
  source: string;
  format: string;
  dtype: string;
  shape: number[];
  resolution: number[];
  levels: number;
  uri: string;
}

/** A JSON-friendly description of a project for `info`. */
export function projectReport(project: Project) {
  const layers = (project.db.prepare('SELECT * FROM layers ORDER BY created_at').all() as Record<string, string>[]).map(
    (r): LayerRow => {
      const meta = JSON.parse(r.meta || '{}') as { levels?: unknown[] | number };
      return {
        id: r.id,
        name: r.name,
        kind: r.kind,
        source: r.source,
        format: r.format,
        dtype: r.dtype,
        shape: JSON.parse(r.shape),
        resolution: JSON.parse(r.resolution),
        levels: Array.isArray(meta.levels) ? meta.levels.length : typeof meta.levels === 'number' ? meta.levels : 1,
        uri: r.uri,
      };
    },
  );
  const models = project.db.prepare('SELECT id, name, preset, path, created_at AS createdAt FROM models ORDER BY created_at').all() as {
    id: string;
    name: string;
    preset: string;
  }[];
  const jobs = project.db
    .prepare('SELECT id, kind, title, state, created_at AS createdAt, finished_at AS finishedAt FROM jobs ORDER BY created_at DESC LIMIT 20')
    .all();
  return { ...project.summary(), layers, models, jobs };
}
