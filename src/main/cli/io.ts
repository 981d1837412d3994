import type { JobInfo } from '../jobs/types';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Prints JSON on stdout (for --json). */
  json(value: unknown): void;
  /** A progress reporter for jobs: a bar on terminals, sparse lines otherwise. */
  progress(job: JobInfo): void;
}

function bar(fraction: number, width = 28): string {
  const n = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

function eta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  if (seconds < 60) return ` ETA ${Math.ceil(seconds)}s`;
  return ` ETA ${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
}

export function processIO(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): CliIO {
  let lastLine = '';
  let lastPrintedDecile = -1;
  return {
    out: (t) => stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    json: (v) => stdout.write(`${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`),
    progress(job) {
      const line = `${job.title} ${bar(job.progress)} ${(job.progress * 100).toFixed(0).padStart(3)}%${eta(job.etaSeconds)} ${job.message}`;
      const ended = job.state !== 'running' && job.state !== 'queued';
      if (stderr.isTTY) {
        if (line !== lastLine) stderr.write(`\r\x1b[2K${line.slice(0, (stderr.columns || 100) - 1)}`);
        if (ended) stderr.write('\n');
      } else {
        const decile = Math.floor(job.progress * 10);
        if (decile !== lastPrintedDecile || ended) stderr.write(`${line}\n`);
        lastPrintedDecile = decile;
      }
      lastLine = line;
    },
  };
}
