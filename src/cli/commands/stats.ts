/** `prodsim stats`: what the store holds and its size on disk. */
import type { Command } from 'commander';
import { storedAnalysis, type StoredAnalysis } from '../../tasks/analysis-version.ts';
import { LAST_INGEST_META_KEY } from '../../tasks/ingest.ts';
import type { CliCommand } from '../context.ts';
import { formatBytes, formatNumber, table } from '../format.ts';

/** The analysis version of the stored products, and what to do when it is not this prodsim's. */
export function analysisLine(a: StoredAnalysis): string {
  if (a.stored === undefined) return `version ${a.current} (no products yet)`;
  if (!a.stale) return `version ${a.stored}`;
  return `version ${a.stored}, this prodsim reads text as version ${a.current}: products stored before read the old way until \`prodsim ingest <whole catalog> --force\` analyses them again`;
}

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
          const analysis = await storedAnalysis(store);
          if (globals.json) {
            ctx.outJson({ ...stats, lastIngest, analysis });
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
            ['text analysis', analysisLine(analysis)],
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
