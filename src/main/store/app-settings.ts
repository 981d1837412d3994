import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const RecentEntry = z.object({ path: z.string(), name: z.string(), lastOpened: z.string() });
const SettingsFile = z.object({
  version: z.literal(1),
  recent: z.array(RecentEntry).default([]),
  cacheBudgetMB: z.number().int().min(64).max(1 << 20).default(1024),
  threads: z.number().int().min(0).max(1024).default(0),
});
export type AppSettingsData = z.infer<typeof SettingsFile>;
export type RecentEntry = z.infer<typeof RecentEntry>;

const MAX_RECENT = 20;

/**
 * The user-data folder: Electron passes app.getPath('userData'); elsewhere
 * $TOKENUNIFY_USER_DATA, then $XDG_CONFIG_HOME/tokenunify-studio, then ~/.config/tokenunify-studio.
 */
export function defaultUserDataDir(): string {
  if (process.env.TOKENUNIFY_USER_DATA) return process.env.TOKENUNIFY_USER_DATA;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'tokenunify-studio');
}

/** App-level settings and the recent-projects list, kept as JSON in the user-data folder. */
export class AppSettings {
  private data: AppSettingsData;
  readonly file: string;

  constructor(userDataDir: string = defaultUserDataDir()) {
    this.file = join(userDataDir, 'settings.json');
    this.data = this.load();
  }

  private load(): AppSettingsData {
    if (!existsSync(this.file)) return SettingsFile.parse({ version: 1 });
    try {
      return SettingsFile.parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch (err) {
      // A damaged settings file must not stop the app; keep it aside for inspection.
      const aside = `${this.file}.damaged-${Date.now()}`;
      try {
        renameSync(this.file, aside);
      } catch {
        /* best effort */
      }
      console.warn(`settings file ${this.file} was unreadable (${(err as Error).message}); moved to ${aside}`);
      return SettingsFile.parse({ version: 1 });
    }
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    renameSync(tmp, this.file);
  }

  get values(): Readonly<AppSettingsData> {
    return this.data;
  }

  update(patch: Partial<Omit<AppSettingsData, 'version' | 'recent'>>): void {
    this.data = SettingsFile.parse({ ...this.data, ...patch });
    this.save();
  }

  recent(): RecentEntry[] {
    return [...this.data.recent];
  }

  touchRecent(path: string, name: string): void {
    const rest = this.data.recent.filter((r) => r.path !== path);
    this.data.recent = [{ path, name, lastOpened: new Date().toISOString() }, ...rest].slice(0, MAX_RECENT);
    this.save();
  }

  forgetRecent(path: string): void {
    this.data.recent = this.data.recent.filter((r) => r.path !== path);
    this.save();
  }
}
