/**
 * `prodsim init [--distributed]`: creates the store (or migrates it) without ingesting anything. On
 * an empty PostgreSQL database with the Citus extension, `--distributed` lays the product tables out
 * by product id (`CITUS_LAYOUT` in store/postgres/schema.ts); a database that already holds a store
 * keeps its layout, and asking for the other one is an error rather than a silent no-op.
 */
import type { Command } from 'commander';
import { createError } from '../../errors.ts';
import { PG_META } from '../../store/postgres/schema.ts';
import { isPostgresUrl, openStore } from '../../store/open-store.ts';
import type { CliCommand } from '../context.ts';
import { table } from '../format.ts';

export const initCommand: CliCommand = {
  name: 'init',
  register(program, ctx) {
    program
      .command('init')
      .description('create the store (PostgreSQL: the schema) without ingesting; --distributed for Citus')
      .option('--distributed', 'PostgreSQL with Citus, on an empty database: distribute the product tables by product id')
      .action(async (o: { distributed?: boolean }, command: Command) => {
        const { store: location, json } = ctx.globals(command);
        const distributed = o.distributed === true;
        if (distributed && !isPostgresUrl(location)) throw createError('INVALID_ARGUMENT', `--distributed needs a PostgreSQL store with Citus (--store postgres://…), not ${location}`, { field: '--distributed' });
        const store = await openStore(location, isPostgresUrl(location) ? { distributed } : {});
        try {
          const stats = await store.stats();
          const layout = isPostgresUrl(location) ? ((await store.getMeta(PG_META.distributed)) === 'true' ? 'distributed (Citus)' : 'single PostgreSQL') : 'SQLite file';
          if (distributed && layout !== 'distributed (Citus)') {
            throw createError('INVALID_ARGUMENT', `${stats.path} already holds a prodsim store that is not distributed: --distributed applies to an empty database`, { field: '--distributed' });
          }
          if (json) return ctx.outJson({ path: stats.path, schemaVersion: stats.schemaVersion, layout, products: stats.products });
          ctx.out(table(undefined, [
            ['store', stats.path],
            ['schema version', stats.schemaVersion],
            ['layout', layout],
            ['products', stats.products],
          ]));
        } finally {
          await store.close();
        }
      });
  },
};
