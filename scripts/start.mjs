// `npm start`: builds if needed, makes sure the demo project exists, then runs the Electron app
// when its binary is available, otherwise browser mode on 127.0.0.1 with the URL printed.
//   npm start -- --browser          force browser mode
//   npm start -- --project DIR      open DIR instead of the demo project
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { buildAppIfNeeded, ROOT, run } from './lib.mjs';

const args = process.argv.slice(2);
const forceBrowser = args.includes('--browser') || process.env.TOKENUNIFY_BROWSER === '1';
const projectFlag = args.indexOf('--project');
const cli = join(ROOT, 'out', 'main', 'cli.js');

function userDataDir() {
  if (process.env.TOKENUNIFY_USER_DATA) return process.env.TOKENUNIFY_USER_DATA;
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'tokenunify-studio');
}

function electronBinary() {
  const pkg = join(ROOT, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

/** Electron >= 42 downloads its binary lazily; try once, briefly, and fall back quietly when offline. */
function fetchElectron() {
  const installer = join(ROOT, 'node_modules', 'electron', 'install.js');
  if (!existsSync(installer)) return null;
  console.log('[tokenunify] the Electron binary is not installed yet; trying to download it (Ctrl+C to skip)…');
  const r = spawnSync(process.execPath, [installer], { timeout: 180_000, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status === 0) return electronBinary();
  const reason = (r.stderr ?? '').split('\n').find((l) => l.trim()) ?? (r.error ? r.error.message : `exit ${r.status}`);
  console.log(`[tokenunify] could not download Electron (${reason.trim()})`);
  return null;
}

if (buildAppIfNeeded() !== 0) process.exit(1);

let project = projectFlag >= 0 ? args[projectFlag + 1] : null;
if (!project) {
  project = join(userDataDir(), 'demo-project');
  if (!existsSync(join(project, 'project.sqlite'))) {
    console.log(`[tokenunify] creating the demo project in ${project}…`);
    if (run(process.execPath, [cli, 'demo', project]) !== 0) process.exit(1);
  }
}

const electron = forceBrowser ? null : (electronBinary() ?? fetchElectron());
if (electron) {
  process.exit(run(electron, [ROOT, `--project=${project}`]));
} else {
  if (!forceBrowser) console.log('[tokenunify] Electron is not available here: starting browser mode instead.');
  process.exit(run(process.execPath, [cli, 'serve', project]));
}
