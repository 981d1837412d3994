import { EventEmitter } from 'node:events';
import type { EventData, EventName } from '../shared/api/contract';
import { AppError } from './errors';
import { JobRunner } from './jobs/runner';
import { AppSettings } from './store/app-settings';
import { Project } from './store/project';

export type AppMode = 'electron' | 'browser';

/** Typed event bus; transports forward every event to connected renderers. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  emit<E extends EventName>(event: E, data: EventData<E>): void {
    this.emitter.emit('event', event, data);
  }

  subscribe(listener: (event: EventName, data: unknown) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}

export interface AppContextOptions {
  mode: AppMode;
  userDataDir?: string;
  jobConcurrency?: number;
}

/**
 * Everything the API handlers share in one app session: settings, the open project,
 * the job runner and the event bus. One per Electron window host or browser-mode host.
 */
export class AppContext {
  readonly events = new EventBus();
  readonly settings: AppSettings;
  readonly jobs: JobRunner;
  readonly mode: AppMode;
  private current: Project | null = null;
  private readonly openHooks: ((project: Project) => void | Promise<void>)[] = [];

  constructor(opts: AppContextOptions) {
    this.mode = opts.mode;
    this.settings = new AppSettings(opts.userDataDir);
    this.jobs = new JobRunner(opts.jobConcurrency ?? 1);
    this.jobs.on('updated', (job) => this.events.emit('job.updated', job));
    this.jobs.on('event', (e) => this.events.emit('job.event', e));
  }

  get project(): Project | null {
    return this.current;
  }

  /** The open project, or a NO_PROJECT error for methods that need one. */
  requireProject(): Project {
    if (!this.current) throw new AppError('NO_PROJECT', 'no project is open; open or create one first');
    return this.current;
  }

  /** Runs `hook` on every project this session opens, before any request or job uses it (domain housekeeping). */
  onProjectOpened(hook: (project: Project) => void | Promise<void>): void {
    this.openHooks.push(hook);
  }

  async setProject(project: Project | null): Promise<void> {
    if (this.current && this.current !== project) this.current.close();
    this.current = null;
    if (project) {
      JobRunner.recoverInterrupted(project);
      try {
        for (const hook of this.openHooks) await hook(project);
      } catch (err) {
        project.close();
        throw err;
      }
      this.current = project;
      this.settings.touchRecent(project.root, project.name);
    }
    this.events.emit('project.changed', project ? project.summary() : null);
  }

  async dispose(): Promise<void> {
    await this.jobs.shutdown();
    this.current?.close();
    this.current = null;
  }
}
