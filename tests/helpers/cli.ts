import { parseCommandArgs, type CliCommand } from '../../src/main/cli/command';
import type { CliIO } from '../../src/main/cli/io';

/** A CliIO that keeps what a command prints: stdout (out + json lines) and stderr as text. */
export function captureOutput(): CliIO & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (io.stdout += `${t}\n`),
    err: (t: string) => void (io.stderr += `${t}\n`),
    json: (v: unknown) => void (io.stdout += `${JSON.stringify(v)}\n`),
    progress: () => undefined,
  };
  return io;
}

/** Runs one command with parsed arguments; returns its exit code and what it printed, line by line. */
export async function runCommand(cmd: CliCommand, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const json: any[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), json: (v) => json.push(v), progress: () => undefined };
  const code = await cmd.run(parseCommandArgs(cmd, argv), io);
  return { code, out, err, json };
}
