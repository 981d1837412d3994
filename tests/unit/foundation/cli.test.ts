import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/main/cli/commands/index';
import { runCli } from '../../../src/main/cli/index';
import { captureOutput as capture } from '../../helpers/cli';
import { Project } from '../../../src/main/store/project';


const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'tu-cli-'));
  dirs.push(d);
  return d;
};

describe('tokenunify CLI', () => {
  it('prints help for every command, and an overview', async () => {
    for (const cmd of COMMANDS) {
      const io = capture();
      expect(await runCli([...cmd.name.split(' '), '--help'], io)).toBe(0);
      expect(io.stdout).toContain(`usage: tokenunify ${cmd.name}`);
      expect(io.stdout).toContain('--help');
    }
    const io = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    for (const cmd of COMMANDS) expect(io.stdout).toContain(cmd.name);
  });

  it('rejects unknown commands, unknown options and missing arguments with exit code 2', async () => {
    let io = capture();
    expect(await runCli(['frobnicate'], io)).toBe(2);
    expect(io.stderr).toMatch(/unknown command "frobnicate"/);
    io = capture();
    expect(await runCli(['info', '/x', '--colour'], io)).toBe(2);
    expect(io.stderr).toMatch(/--colour/);
    io = capture();
    expect(await runCli(['info'], io)).toBe(2);
    expect(io.stderr).toMatch(/missing DIR/);
  });

  it('info --json describes a project, and explains when a folder is not one', async () => {
    const dir = join(scratch(), 'p');
    Project.create(dir, 'CLI project').close();
    let io = capture();
    expect(await runCli(['info', dir, '--json'], io)).toBe(0);
    const report = JSON.parse(io.stdout);
    expect(report).toMatchObject({ name: 'CLI project', path: dir, layers: [], models: [] });
    io = capture();
    expect(await runCli(['info', scratch(), '--json'], io)).toBe(1);
    expect(JSON.parse(io.stdout).error.code).toBe('NOT_A_PROJECT');
  });

  it('model info --preset base --json reports 28.30M parameters; "model" alone names its subcommands', async () => {
    let io = capture();
    expect(await runCli(['model', 'info', '--preset', 'base', '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout)).toMatchObject({ preset: 'base', paramsHuman: '28.30M' });
    io = capture();
    expect(await runCli(['model'], io)).toBe(2);
    expect(io.stderr).toMatch(/needs a subcommand: info, import/);
  });
});
