/** Shared by `train`, `apply` and `eval`: the pair options and the engine the matcher tasks run on. */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { Engine } from '../../engine/engine.ts';
import type { PairFormat } from '../../learning/pairs.ts';
import type { CliContext } from '../context.ts';
import { withEngine } from '../engine-session.ts';
import { defined } from '../../defined.ts';

export interface PairInputOptions {
  left?: string;
  right?: string;
  format?: PairFormat;
}

export const DEFAULT_MATCHER_PATH = './.prodsim/matcher.json';

export function addPairInputOptions(command: Command): Command {
  return command
    .option('--left <table>', 'left catalog (CSV/JSONL with an id column) when pairs give ids (ltable_id); ids not in it are looked up in the store')
    .option('--right <table>', 'right catalog when pairs give ids (rtable_id); ids not in it are looked up in the store')
    .addOption(new Option('--format <format>', 'pair file format (default: from the name and first line)').choices(['csv', 'jsonl', 'ditto']));
}

/** The pair selection of a matcher task: the pairs file and the catalogs its ids refer to. */
export function pairSelection(file: string, opts: PairInputOptions): Record<string, unknown> {
  return defined({ pairs: file, format: opts.format, left: opts.left, right: opts.right });
}

/**
 * Runs a matcher task on the engine over `--store` when that store exists (pair ids may refer to its
 * products), else on a throw-away in-memory engine: training from files never creates a store.
 */
export function withPairEngine<T>(ctx: CliContext, command: Command, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const { store } = ctx.globals(command);
  return withEngine(ctx, command, fn, existsSync(store) ? {} : { mustExist: false, engine: { storePath: ':memory:' } });
}
