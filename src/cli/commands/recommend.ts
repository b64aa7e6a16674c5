/** `prodsim recommend --history <ids>`: recommendations from a user's history; `--new <file>` for cold start. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runTask } from '../../engine/task-registry.ts';
import { createError } from '../../errors.ts';
import type { CliCommand } from '../context.ts';
import { withEngine } from '../engine-session.ts';
import { clip } from '../format.ts';
import { rankedTable } from '../task-output.ts';
import { addFilterOptions, filterFrom, parseInteger, parseNumber, type FilterCliOptions } from '../task-options.ts';
import { defined } from '../../defined.ts';
import { DEFAULT_K } from '../../tasks/result-item.ts';

interface RecommendCliOptions extends FilterCliOptions {
  history?: string;
  new?: string;
  k: string;
  lambda?: string;
  includeOutOfStock?: boolean;
  model?: string;
}

/** `id`, `id:buy`, `id:cart` — comma-separated, oldest first. */
function parseHistory(raw: string): { id: string; event?: string }[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const m = /^(.*):(view|cart|buy)$/.exec(s);
      return m ? { id: m[1]!, event: m[2]! } : { id: s };
    });
}

function readProductJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    // Into a catalogue error: a product file that cannot be read is FILE_NOT_FOUND with its path.
    throw createError('FILE_NOT_FOUND', `${path}: the product file cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: path });
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    // Into a catalogue error: JSON.parse's error becomes PARSE_ERROR with the file.
    throw createError('PARSE_ERROR', `${path}: expected one product as a JSON object (${(e as Error).message})`, { file: path });
  }
}

export const recommendCommand: CliCommand = {
  name: 'recommend',
  register(program, ctx) {
    addFilterOptions(
      program
        .command('recommend')
        .description("recommendations from a user's history (not the items themselves), diversified; or neighbours of a new product")
        .option('--history <ids>', 'viewed/bought ids, oldest first: p1,p2:cart,p3:buy')
        .option('--new <product.json>', 'cold start: a new product (JSON file) not yet ingested')
        .option('-k, --k <n>', 'results', String(DEFAULT_K))
        .option('--lambda <x>', 'diversity trade-off: 1 = relevance only, 0 = diversity only')
        .option('--include-out-of-stock', 'also recommend products that are out of stock')
        .option('--model <matcher.json>', 'a matcher trained with `prodsim train`: leave out other listings of what the history holds'),
    ).action(async (o: RecommendCliOptions, command: Command) => {
      const json = ctx.globals(command).json;
      if (!o.history === !o.new) throw createError('INVALID_ARGUMENT', 'give exactly one of --history <ids> or --new <product.json>', { field: 'history' });
      const k = parseInteger(o.k, '--k');
      if (o.new) {
        const input = defined({ product: readProductJson(o.new), k, filter: filterFrom(o) });
        const r = await withEngine(ctx, command, (e) => runTask(e, 'coldStart', input));
        if (json) return ctx.outJson(r);
        ctx.out(`Neighbours of new product ${r.source.id} ${clip(r.source.title, 60)}`);
        return ctx.out(rankedTable(r.items));
      }
      const input = defined({
        history: parseHistory(o.history!).map((h) => defined(h)),
        k,
        lambda: parseNumber(o.lambda, '--lambda'),
        inStockOnly: o.includeOutOfStock ? false : undefined,
        filter: filterFrom(o),
        model: o.model,
      });
      const r = await withEngine(ctx, command, (e) => runTask(e, 'recommend', input));
      if (json) return ctx.outJson(r);
      ctx.out(`History: ${r.history.map((h) => `${h.id} ${clip(h.title, 30)}`).join(' | ')}`);
      if (r.unknownIds.length) ctx.out(`Not in the catalog (ignored): ${r.unknownIds.join(', ')}`);
      if (r.sameAsHistory > 0) ctx.out(`Left out ${r.sameAsHistory} listings the model calls the same product as a history item`);
      ctx.out(rankedTable(r.items, 'because of', (i) => `${r.items[i]!.because.id} ${clip(r.items[i]!.because.title, 24)}`));
    });
  },
};
