import { AppError, isAppError } from '../errors';
import { commandHelp, parseCommandArgs, type CliCommand } from './command';
import { COMMANDS } from './commands/index';
import { processIO, type CliIO } from './io';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'TokenUnify Studio command line',
    '',
    'usage: tokenunify <command> [arguments] [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "tokenunify <command> --help" for a command\'s arguments and options.',
  ].join('\n');
}

/** Finds the command named by the first one or two words of argv. */
function resolveCommand(argv: string[]): { cmd: CliCommand; rest: string[] } | null {
  const two = `${argv[0]} ${argv[1]}`;
  const byTwo = COMMANDS.find((c) => c.name === two);
  if (byTwo) return { cmd: byTwo, rest: argv.slice(2) };
  const byOne = COMMANDS.find((c) => c.name === argv[0]);
  return byOne ? { cmd: byOne, rest: argv.slice(1) } : null;
}

export async function runCli(argv: string[], io: CliIO = processIO()): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(overview());
    return argv.length === 0 ? 2 : 0;
  }
  const found = resolveCommand(argv);
  if (!found) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (group.length) {
      io.err(`"${argv[0]}" needs a subcommand: ${group.map((c) => c.name.split(' ')[1]).join(', ')}`);
      return 2;
    }
    io.err(`unknown command "${argv[0]}"\n\n${overview()}`);
    return 2;
  }
  const { cmd, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(cmd));
    return 0;
  }
  const wantsJson = rest.includes('--json');
  try {
    const input = parseCommandArgs(cmd, rest);
    return await cmd.run(input, io);
  } catch (err) {
    const code = isAppError(err) ? err.code : 'INTERNAL';
    const message = (err as Error)?.message ?? String(err);
    if (wantsJson) io.json({ error: { code, message } });
    io.err(`error: ${message}`);
    if (!isAppError(err)) io.err((err as Error)?.stack ?? '');
    return code === 'BAD_REQUEST' ? 2 : 1;
  }
}

// Entry point when run as a program (out/main/cli.js or tsx src/main/cli/index.ts).
const invokedDirectly = process.argv[1] && /(?:cli\.js|cli[\\/]index\.ts)$/.test(process.argv[1]);
if (invokedDirectly) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err instanceof AppError ? `error: ${err.message}` : err);
      process.exitCode = 1;
    },
  );
}
