import { parseArgs } from 'node:util';
import { AppError } from '../errors';
import type { CliIO } from './io';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  /** Shown in help; parsing leaves absent options undefined. */
  default?: string;
  multiple?: boolean;
}

export interface CliCommand {
  /** One or two words: 'demo', 'model info'. */
  name: string;
  summary: string;
  /** Positional arguments as shown in usage, e.g. ['DIR', 'LAYER']. */
  args: string[];
  options?: Record<string, OptionSpec>;
  /** Free text after the options in --help. */
  details?: string;
  run(input: CommandInput, io: CliIO): Promise<number>;
}

export interface CommandInput {
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
}

export const JSON_OPTION: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print machine-readable JSON on stdout' },
};

export function parseCommandArgs(cmd: CliCommand, argv: string[]): CommandInput {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(cmd.options ?? {})) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new AppError('BAD_REQUEST', `${(err as Error).message.replace(/^.*?: /, '')}\nsee: tokenunify ${cmd.name} --help`);
  }
  const required = cmd.args.filter((a) => !a.startsWith('['));
  if (parsed.positionals.length < required.length) {
    throw new AppError('BAD_REQUEST', `missing ${required.slice(parsed.positionals.length).join(' ')}\nusage: ${usageLine(cmd)}`);
  }
  const maxArgs = cmd.args.some((a) => a.endsWith('...]') || a.endsWith('...')) ? Infinity : cmd.args.length;
  if (parsed.positionals.length > maxArgs) {
    throw new AppError('BAD_REQUEST', `unexpected argument ${parsed.positionals[maxArgs]}\nusage: ${usageLine(cmd)}`);
  }
  return { positionals: parsed.positionals, values: parsed.values as CommandInput['values'] };
}

export function usageLine(cmd: CliCommand): string {
  const opts = Object.keys(cmd.options ?? {}).length ? ' [options]' : '';
  return `tokenunify ${cmd.name} ${cmd.args.join(' ')}${opts}`.replace(/\s+/g, ' ').trim();
}

export function commandHelp(cmd: CliCommand): string {
  const lines = [`${cmd.summary}`, '', `usage: ${usageLine(cmd)}`];
  const opts = Object.entries(cmd.options ?? {});
  if (opts.length) {
    lines.push('', 'options:');
    const rows = opts.map(([name, o]) => {
      const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ' VALUE' : ''}`;
      return [flag, `${o.description}${o.default !== undefined ? ` (default ${o.default})` : ''}`];
    });
    rows.push(['-h, --help', 'show this help']);
    const width = Math.max(...rows.map((r) => r[0].length));
    for (const [f, d] of rows) lines.push(`  ${f.padEnd(width)}  ${d}`);
  } else {
    lines.push('', 'options:', '  -h, --help  show this help');
  }
  if (cmd.details) lines.push('', cmd.details);
  return lines.join('\n');
}

/** Parses "z,y,x" triples such as --resolution 50,4,4. */
export function parseTriple(text: string | undefined, what: string): [number, number, number] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n) || n <= 0)) {
    throw new AppError('BAD_REQUEST', `${what} must be three positive numbers z,y,x (got "${text}")`);
  }
  return parts as [number, number, number];
}

export function parseIntOption(text: string | undefined, what: string, min = -Infinity, max = Infinity): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new AppError('BAD_REQUEST', `${what} must be an integer in [${min}, ${max}] (got "${text}")`);
  return n;
}
