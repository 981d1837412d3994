import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Debian's /usr/bin/python3 with its packages (numpy, tifffile, h5py, zarr, skimage, torch)
 * serves as an independent reference implementation in tests. Tests that need it call
 * `referencePython([...modules])` and skip with a visible notice when it is missing.
 */
const PYTHON = process.env.TOKENUNIFY_REFERENCE_PYTHON ?? '/usr/bin/python3';
const probed = new Map<string, boolean>();

export function referencePython(modules: string[]): string | null {
  if (!existsSync(PYTHON)) return null;
  const key = modules.slice().sort().join(',');
  if (!probed.has(key)) {
    const code = modules.map((m) => `import ${m}`).join('; ') || 'pass';
    const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8' });
    probed.set(key, r.status === 0);
  }
  return probed.get(key) ? PYTHON : null;
}

/** Prints why a reference test is skipped, so a skipped comparison is never silent. */
export function skipNotice(what: string, modules: string[]): string {
  const msg = `SKIPPED ${what}: ${PYTHON} with ${modules.join(', ')} not available`;
  console.warn(msg);
  return msg;
}

export interface PythonResult {
  stdout: string;
  stderr: string;
}

/** Runs a Python script with the reference interpreter; throws with its stderr on failure. */
export function runPython(script: string, args: string[] = [], opts: { input?: string | Buffer; timeoutMs?: number } = {}): PythonResult {
  const r = spawnSync(PYTHON, ['-c', script, ...args], {
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeoutMs ?? 300_000,
    maxBuffer: 1 << 30,
    env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2', PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr || r.error?.message}`);
  return { stdout: r.stdout, stderr: r.stderr };
}
