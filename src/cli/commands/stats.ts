/** `prodsim stats`: what the store holds and its size on disk. */
import type { Command } from 'commander';
import { LAST_INGEST_META_KEY } from '../../tasks/ingest.ts';
import type { CliCommand } from '../context.ts';
import { formatBytes, formatNumber, table } from '../format.ts';

export const statsCommand: CliCommand = {
  name: 'stats',
  register(program, ctx) {
    program
      .command('stats')
      .description('counts, size on disk and the last ingest of the store')
      .action(async (_opts: unknown, command: Command) => {
        const globals = ctx.globals(command);
        const store = await ctx.openStore(command, { mustExist: true });
        try {
          const stats = await store.stats();
          const rawLast = await store.getMeta(LAST_INGEST_META_KEY);
          const lastIngest = rawLast === undefined ? null : (JSON.parse(rawLast) as Record<string, unknown>);
          if (globals.json) {
            ctx.outJson({ ...stats, lastIngest });
            return;
          }
          const rows: (string | number)[][] = [
            ['store', stats.path],
            ['schema version', stats.schemaVersion],
            ['products', stats.products],
            ['pair labels', stats.labels],
            ...Object.entries(stats.vectors).map(([id, v]) => [`vectors ${id}`, `${formatNumber(v.count)} × ${v.dimension}`]),
            ['size on disk', formatBytes(stats.sizeBytes)],
            ['bytes per product', stats.bytesPerProduct],
          ];
          if (lastIngest) {
            rows.push([
              'last ingest',
              `${String(lastIngest.source)} at ${String(lastIngest.finishedAt)}: ${String(lastIngest.added)} added, ${String(lastIngest.updated)} updated, ${String(lastIngest.unchanged)} unchanged, ${String(lastIngest.skippedCount)} skipped`,
            ]);
          }
          ctx.out(table(undefined, rows));
        } finally {
          await store.close();
        }
      });
  },
};
