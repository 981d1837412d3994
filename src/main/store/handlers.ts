import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PartialHandlers } from '../api/router';
import { AppError } from '../errors';
import { Project, PROJECT_DB } from './project';

/** API handlers of the project browser: recent list, create, open, close, delete. */
export const projectHandlers: PartialHandlers = {
  'projects.recent': (_p, ctx) =>
    ctx.settings.recent().map((r) => ({ ...r, exists: existsSync(join(r.path, PROJECT_DB)) })),

  'projects.current': (_p, ctx) => ctx.project?.summary() ?? null,

  'projects.create': async ({ path, name, demo }, ctx) => {
    const project = Project.create(path, name);
    await ctx.setProject(project);
    if (demo) {
      ctx.jobs.start(project, 'demo.populate', {}, { title: 'Generate demo volume' });
    }
    return project.summary();
  },

  'projects.open': async ({ path }, ctx) => {
    const root = resolve(path);
    if (ctx.project?.root === root) return ctx.project.summary();
    const project = Project.open(root);
    await ctx.setProject(project);
    return project.summary();
  },

  'projects.close': async (_p, ctx) => {
    const had = ctx.project !== null;
    await ctx.setProject(null);
    return { closed: had };
  },

  'projects.delete': async ({ path, confirmName }, ctx) => {
    const root = resolve(path);
    if (ctx.project?.root === root) await ctx.setProject(null);
    // Opening takes the lock and validates that this is really a project folder.
    const project = Project.open(root);
    const name = project.name;
    project.close();
    if (confirmName !== name) {
      throw new AppError('BAD_REQUEST', `to delete project '${name}', confirm by typing its exact name`);
    }
    rmSync(root, { recursive: true, force: true });
    ctx.settings.forgetRecent(root);
    return { deleted: true as const };
  },

  'projects.forget': ({ path }, ctx) => {
    ctx.settings.forgetRecent(resolve(path));
    return ctx.settings.recent().map((r) => ({ ...r, exists: existsSync(join(r.path, PROJECT_DB)) }));
  },
};
