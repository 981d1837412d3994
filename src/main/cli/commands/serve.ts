import { join } from 'node:path';
import { createAppSession } from '../../api/session';
import { startHost } from '../../host/server';
import { repoRoot } from '../../paths';
import { parseIntOption, type CliCommand } from '../command';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Browser mode: serve the app for a project on 127.0.0.1 (loopback only).',
  args: ['[DIR]'],
  options: {
    port: { type: 'string', short: 'p', description: 'port to listen on; 0 picks a free one', default: '0' },
    'url-file': { type: 'string', description: 'also write the URL (with its token) to this file' },
  },
  details:
    'Prints a URL carrying a random per-run token; requests without the token get 401.\n' +
    'Without DIR the project browser starts with no project open. Stop with Ctrl+C.',
  async run({ positionals, values }, io) {
    const port = parseIntOption(values.port as string | undefined, '--port', 0, 65535) ?? 0;
    const session = await createAppSession({ mode: 'browser', projectDir: positionals[0] });
    const host = await startHost({
      rendererDir: join(repoRoot(), 'out', 'renderer'),
      dispatch: session.dispatch,
      events: session.ctx.events,
      port,
    }).catch(async (err) => {
      await session.ctx.dispose();
      throw err;
    });
    if (values['url-file']) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(values['url-file'] as string, `${host.url}\n`, { mode: 0o600 });
    }
    io.out(`TokenUnify Studio (browser mode) is running${session.ctx.project ? ` on project ${session.ctx.project.root}` : ''}.`);
    io.out(`Open this URL in a browser (it carries the access token):\n  ${host.url}`);
    io.out('Press Ctrl+C to stop.');
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.err('stopping…');
    await host.close();
    await session.ctx.dispose();
    return 0;
  },
};
