/** `prodsim serve`: the HTTP API and web UI over the store, until Ctrl-C. */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { createEngine } from '../../engine/engine.ts';
import { createError } from '../../errors.ts';
import { startServer } from '../../server/app.ts';
import { createGuardedImageFetch } from '../../server/url-policy.ts';
import type { CliCommand } from '../context.ts';
import { openRefreshReporter } from '../engine-session.ts';
import { parseInteger } from '../task-options.ts';

interface ServeCliOptions {
  port: string;
  host: string;
  token?: string;
  readToken?: string;
  allowImageUrls?: boolean;
  maxBody?: string;
  maxBatch?: string;
  workers?: string;
}

export const serveCommand: CliCommand = {
  name: 'serve',
  register(program, ctx) {
    program
      .command('serve')
      .description('HTTP API (/v1, /openapi.json) and web UI over the store; writes need a token')
      .option('--port <n>', 'port (0: any free port)', '8787')
      .option('--host <address>', 'address to listen on (default: loopback only)', '127.0.0.1')
      .option('--token <token>', 'write token (default: $PRODSIM_TOKEN); without one, writes are refused')
      .option('--read-token <token>', 'also protect reads with this token (default: $PRODSIM_READ_TOKEN, else reads are open)')
      .option('--allow-image-urls', 'fetch product images given as http(s) URLs (never loopback or private addresses)')
      .option('--max-body <bytes>', 'largest request body')
      .option('--max-batch <n>', 'most products per batch upsert')
      .option('--workers <n>', 'threads answering reads (similar, search, …), each with its own read-only engine (default: the number of cores; 1: this thread)')
      .action(async (o: ServeCliOptions, command: Command) => {
        const { store } = ctx.globals(command);
        const port = parseInteger(o.port, '--port') ?? 8787;
        if (port < 0 || port > 65535) throw createError('INVALID_ARGUMENT', `--port must be 0..65535, got ${o.port}`, { field: '--port' });
        const writeToken = o.token ?? process.env.PRODSIM_TOKEN;
        const readToken = o.readToken ?? process.env.PRODSIM_READ_TOKEN;
        const engine = await createEngine({ store, onOpenRefresh: openRefreshReporter(ctx), ...(o.allowImageUrls ? { imageFetch: createGuardedImageFetch() } : {}) });
        const maxBodyBytes = parseInteger(o.maxBody, '--max-body');
        const maxBatch = parseInteger(o.maxBatch, '--max-batch');
        const workers = parseInteger(o.workers, '--workers') ?? availableParallelism();
        const running = await startServer({
          engine,
          port,
          host: o.host,
          writeToken: writeToken || undefined,
          readToken: readToken || undefined,
          allowImageUrls: o.allowImageUrls === true,
          workers,
          limits: { ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}), ...(maxBatch !== undefined ? { maxBatch } : {}) },
        });
        ctx.err(`prodsim serving ${store} (${await engine.store.count()} products) at ${running.url}  (UI: ${running.url}/, API: ${running.url}/openapi.json)`);
        if (!writeToken) ctx.err('no write token (--token or PRODSIM_TOKEN): writes are refused');
        ctx.err(readToken ? 'reads need a token' : 'reads are open (dedup and match need a token)');
        ctx.err(workers > 1 ? `${workers} threads answer reads` : 'this thread answers reads');
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await running.close();
        await engine.close();
      });
  },
};
