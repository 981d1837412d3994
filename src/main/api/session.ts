import { AppContext, type AppContextOptions } from '../context';
import { recoverProofreading } from '../proofreading/handlers';
import { Project } from '../store/project';
import { cleanupInterruptedImports } from '../volumes/import';
import { handlers } from './handlers';
import { createRouter, type Dispatch } from './router';

export interface AppSession {
  ctx: AppContext;
  dispatch: Dispatch;
}

/** One app session: context + router, optionally with a project already open. Used by every transport. */
export async function createAppSession(opts: AppContextOptions & { projectDir?: string }): Promise<AppSession> {
  const ctx = new AppContext(opts);
  const dispatch = createRouter(handlers, ctx);
  // An import interrupted by a crash leaves a temporary store folder behind; never a half layer.
  ctx.onProjectOpened(async (project) => void (await cleanupInterruptedImports(project)));
  // A label edit interrupted by a crash is finished (from its journal) before anything reads the labels.
  ctx.onProjectOpened((project) => recoverProofreading(ctx, project));
  if (opts.projectDir) await ctx.setProject(Project.open(opts.projectDir));
  return { ctx, dispatch };
}
