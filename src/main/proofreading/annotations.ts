import type { Annotation } from '../../shared/api/proofreading';
import { AppError } from '../errors';
import type { Database } from '../store/database';

type Kind = 'bookmark' | 'todo';

interface Row {
  id: number;
  layer_id: string | null;
  kind: string;
  position: string;
  text: string;
  done: number;
  created_at: string;
}

function toAnnotation(r: Row): Annotation {
  return {
    id: r.id,
    layerId: r.layer_id,
    kind: r.kind as Kind,
    position: JSON.parse(r.position) as [number, number, number],
    text: r.text,
    done: r.done === 1,
    createdAt: r.created_at,
  };
}

/** Bookmarks and to-do points with comments (the annotations table); not part of the edit history. */
export class Annotations {
  constructor(private readonly db: Database) {}

  list(filter: { layerId?: string; kind?: Kind } = {}): Annotation[] {
    const where = ["kind IN ('bookmark', 'todo')"];
    const args: unknown[] = [];
    if (filter.layerId) {
      where.push('layer_id = ?');
      args.push(filter.layerId);
    }
    if (filter.kind) {
      where.push('kind = ?');
      args.push(filter.kind);
    }
    return (this.db.prepare(`SELECT * FROM annotations WHERE ${where.join(' AND ')} ORDER BY id`).all(...args) as Row[]).map(toAnnotation);
  }

  get(id: number): Annotation {
    const r = this.db.prepare("SELECT * FROM annotations WHERE id = ? AND kind IN ('bookmark', 'todo')").get(id) as Row | undefined;
    if (!r) throw new AppError('NOT_FOUND', `no bookmark or to-do ${id}`);
    return toAnnotation(r);
  }

  create(a: { kind: Kind; position: [number, number, number]; text?: string; layerId?: string }): Annotation {
    if (a.layerId && !this.db.prepare('SELECT 1 FROM layers WHERE id = ?').get(a.layerId)) {
      throw new AppError('NOT_FOUND', `no layer ${a.layerId} for the ${a.kind}`);
    }
    const id = Number(
      this.db
        .prepare('INSERT INTO annotations (layer_id, kind, position, text, done, created_at) VALUES (?, ?, ?, ?, 0, ?)')
        .run(a.layerId ?? null, a.kind, JSON.stringify(a.position), a.text ?? '', new Date().toISOString()).lastInsertRowid,
    );
    return this.get(id);
  }

  update(id: number, patch: { text?: string; done?: boolean; position?: [number, number, number] }): Annotation {
    this.get(id);
    if (patch.text !== undefined) this.db.prepare('UPDATE annotations SET text = ? WHERE id = ?').run(patch.text, id);
    if (patch.done !== undefined) this.db.prepare('UPDATE annotations SET done = ? WHERE id = ?').run(patch.done ? 1 : 0, id);
    if (patch.position !== undefined) this.db.prepare('UPDATE annotations SET position = ? WHERE id = ?').run(JSON.stringify(patch.position), id);
    return this.get(id);
  }

  delete(id: number): void {
    this.get(id);
    this.db.prepare('DELETE FROM annotations WHERE id = ?').run(id);
  }
}
