/**
 * Opens the engine over the CLI's `--store` for one command and closes it afterwards. A read
 * command on a store that does not exist yet says so instead of creating an empty one.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { createEngine, type Engine, type EngineOptions } from '../engine/engine.ts';
import { createError } from '../errors.ts';
import { isPostgresUrl } from '../store/open-store.ts';
import type { RefreshProgress } from '../tasks/catalog-index.ts';
import type { CliContext } from './context.ts';
import { formatNumber } from './format.ts';

export async function withEngine<T>(
  ctx: CliContext,
  command: Command,
  fn: (engine: Engine) => Promise<T>,
  options: { mustExist?: boolean; engine?: Partial<EngineOptions> } = {},
): Promise<T> {
  const { store } = ctx.globals(command);
  if (options.mustExist !== false && !isPostgresUrl(store) && !existsSync(store)) {
    throw createError('FILE_NOT_FOUND', `no store at ${store}: run \`prodsim ingest <catalog>\` first (or pass --store)`, { file: store });
  }
  // A store this user may not write (or in a folder it may not write) is opened read-only: reads
  // work, and a write is refused with "opened read-only" instead of a SQLite error.
  const engine = await createEngine({
    store,
    ...(!isPostgresUrl(store) && existsSync(store) && !writable(store) ? { readonly: true } : {}),
    onOpenRefresh: openRefreshReporter(ctx),
    ...options.engine,
  });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/** Whether this process may write the store file and create files beside it (journal, WAL). */
export function writable(storePath: string): boolean {
  try {
    accessSync(storePath, constants.W_OK);
    accessSync(dirname(storePath), constants.W_OK);
    return true;
  } catch {
    // Expected failure as a value: a probe: no write access answers false.
    return false;
  }
}

/** How often the re-encoding of a store written by an older version says how far it is. */
const OPEN_REFRESH_REPORT_MS = 5_000;

/**
 * Progress lines on stderr while opening re-encodes a store written by an older version (once per
 * store; an hour at 1M products), so that a command or a server start does not look hung.
 */
export function openRefreshReporter(ctx: Pick<CliContext, 'err'>): (p: RefreshProgress) => void {
  let last = -Infinity;
  return (p) => {
    if (p.stage !== 'encode') return;
    const now = performance.now();
    const first = p.done === 0 || last === -Infinity;
    if (!first && p.done < p.total && now - last < OPEN_REFRESH_REPORT_MS) return;
    last = now;
    if (first && p.done < p.total) ctx.err(`this store's vectors are from another text space version: re-encoding ${formatNumber(p.total)} products once`);
    ctx.err(`re-encoded ${formatNumber(p.done)} / ${formatNumber(p.total)}`);
  };
}
