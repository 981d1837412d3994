import { AppContext, type AppContextOptions } from '../context';
import { Project } from '../store/project';
import { handlers } from './handlers';
import { createRouter, type Dispatch } from './router';

export interface AppSession {
  ctx: AppContext;
  dispatch: Dispatch;
}

/** One app session: context + router, optionally with a project already open. Used by every transport. */
export function createAppSession(opts: AppContextOptions & { projectDir?: string }): AppSession {
  const ctx = new AppContext(opts);
  const dispatch = createRouter(handlers, ctx);
  if (opts.projectDir) ctx.setProject(Project.open(opts.projectDir));
  return { ctx, dispatch };
}
