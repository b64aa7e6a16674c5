/**
 * Opens the engine over the CLI's `--store` for one command and closes it afterwards. A read
 * command on a store that does not exist yet says so instead of creating an empty one.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { createEngine, type Engine, type EngineOptions } from '../engine/engine.ts';
import { createError } from '../errors.ts';
import type { CliContext } from './context.ts';

export async function withEngine<T>(
  ctx: CliContext,
  command: Command,
  fn: (engine: Engine) => Promise<T>,
  options: { mustExist?: boolean; engine?: Partial<EngineOptions> } = {},
): Promise<T> {
  const { store } = ctx.globals(command);
  if (options.mustExist !== false && !existsSync(store)) {
    throw createError('FILE_NOT_FOUND', `no store at ${store}: run \`prodsim ingest <catalog>\` first (or pass --store)`, { file: store });
  }
  const engine = await createEngine({ storePath: store, ...options.engine });
  try {
    return await fn(engine);
  } finally {
    engine.close();
  }
}
