/** `prodsim ingest <file>`: load a catalog file into the store, with a progress bar and a summary. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import type { CatalogFormat, ReadCatalogOptions } from '../../catalog/catalog.ts';
import { createError } from '../../errors.ts';
import type { EngineIngestSummary } from '../../engine/engine.ts';
import type { CliCommand, CliContext } from '../context.ts';
import { clip, formatMs, formatNumber, table } from '../format.ts';
import { analysisLine } from './stats.ts';

/** Bad records listed by name in the human summary (all of them are in `--json`). */
const SHOWN_ISSUES = 20;

interface IngestCliOptions {
  format?: CatalogFormat;
  mapping?: string;
  strict?: boolean;
  batchSize: string;
  defaultCurrency?: string;
  force?: boolean;
}

function parsePositiveInt(raw: string, flag: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw createError('INVALID_ARGUMENT', `${flag} must be a positive integer, got "${raw}"`, { field: flag, expected: 'a positive integer', received: raw });
  }
  return n;
}

/** Newlines in the file (decompressed for .gz): the denominator of the progress bar. */
async function countLines(file: string): Promise<number> {
  const raw = createReadStream(file);
  const input = file.toLowerCase().endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  let n = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n + 1;
}

function printSummary(ctx: CliContext, summary: EngineIngestSummary, storePath: string): void {
  ctx.out(
    `Ingested ${summary.source} into ${storePath} in ${formatMs(summary.durationMs)} (${formatNumber(summary.productsPerSecond)} records/s)`,
  );
  const rows: (string | number)[][] = [
    ['records read', summary.read],
    ['added', summary.added],
    ['updated', summary.updated],
    ['unchanged', summary.unchanged],
    ['skipped (bad records)', summary.skippedCount],
    ['duplicate ids (last kept)', summary.duplicateCount],
  ];
  for (const [id, c] of Object.entries(summary.encoders)) rows.push([`encoded by ${id}`, `${c.encoded} new, ${c.cached} cached`]);
  const s = summary.stageMs;
  rows.push(['time: parse / analyse / encode / store', `${formatMs(s.parse)} / ${formatMs(s.analyse)} / ${formatMs(s.encode)} / ${formatMs(s.store)}`]);
  const r = summary.representations;
  rows.push(['text space', `${r.fit.fitted ? 'fitted' : 'kept'} (${r.fit.reason})`]);
  rows.push(['text vectors', `${r.encoded} encoded, ${r.cached} cached (${formatMs(r.durationMs)})`]);
  rows.push(['ANN index', `${r.index.size} vectors, ${r.index.rebuilt ? `rebuilt (${r.index.reason})` : r.index.reason}`]);
  if (summary.images) {
    const im = summary.images;
    const of = im.checked === 'all' ? 'products with images' : 'changed products with images';
    rows.push(['images', `${im.withImages} ${of}: ${im.computed} computed, ${im.cached} cached, ${im.failed.length} failed`]);
  }
  ctx.out(table(undefined, rows));
  if (summary.images && summary.images.failed.length > 0) {
    ctx.out('Images that could not be used (the products are indexed without them):');
    ctx.out(table(['image', 'problem'], summary.images.failed.slice(0, SHOWN_ISSUES).map((f) => [clip(f.path, 50), `${f.code}: ${clip(f.message, 80)}`])));
  }
  if (summary.analysis.stale) ctx.out(`Note: text analysis ${analysisLine(summary.analysis)}.`);
  if (summary.duplicateIds.length > 0) {
    const more = summary.duplicateCount > summary.duplicateIds.length ? ', …' : '';
    ctx.out(`Duplicate ids: ${summary.duplicateIds.slice(0, 10).join(', ')}${summary.duplicateIds.length > 10 ? ', …' : more}`);
  }
  if (summary.skippedCount > 0) {
    ctx.out(`Skipped records:`);
    const issueRows = summary.skipped.slice(0, SHOWN_ISSUES).map((i) => [
      i.line,
      i.id ?? '',
      i.field ?? '',
      clip(i.expected && !i.message.includes(i.expected) ? `${i.message}; expected ${i.expected}` : i.message, 100),
    ]);
    ctx.out(table(['line', 'id', 'field', 'problem'], issueRows));
    if (summary.skippedCount > SHOWN_ISSUES) ctx.out(`… and ${formatNumber(summary.skippedCount - SHOWN_ISSUES)} more (use --json to list them)`);
  }
}

export const ingestCommand: CliCommand = {
  name: 'ingest',
  register(program, ctx) {
    program
      .command('ingest')
      .description('load a catalog file (CSV/TSV, JSON, JSONL, optionally .gz) into the store; unchanged products are skipped')
      .argument('<file>', 'catalog file')
      .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'tsv', 'json', 'jsonl']))
      .option('--mapping <file.json>', 'field mapping or read options as JSON ({"title": "name", …})')
      .option('--strict', 'stop at the first bad record instead of skipping it')
      .option('--batch-size <n>', 'records per transaction', '1000')
      .option('--default-currency <code>', 'currency for prices given without one (ISO 4217)')
      .option('--force', 're-analyse and re-index products even when unchanged (after an analyser upgrade)')
      .action(async (file: string, opts: IngestCliOptions, command: Command) => {
        // Loaded here, not at start-up, so `prodsim --help` and quick commands stay quick.
        const [{ readMappingFile }, { withEngine }] = await Promise.all([import('../../catalog/mapping-file.ts'), import('../engine-session.ts')]);
        const globals = ctx.globals(command);
        const batchSize = parsePositiveInt(opts.batchSize, '--batch-size');
        const readOptions: Partial<ReadCatalogOptions> = opts.mapping ? await readMappingFile(opts.mapping) : {};
        if (opts.format) readOptions.format = opts.format;
        if (opts.strict) readOptions.strict = true;
        if (opts.defaultCurrency) readOptions.defaultCurrency = opts.defaultCurrency;
        const isFile = await stat(file).then(
          (s) => s.isFile(),
          () => false,
        );
        if (!isFile) throw createError('FILE_NOT_FOUND', `catalog file not found: ${file}`, { file });

        const showProgress = ctx.showProgress(command);
        const totalLines = showProgress ? await countLines(file) : 0;
        const bar = showProgress
          ? new cliProgress.SingleBar(
              {
                stream: ctx.io.stderr,
                format: 'ingest [{bar}] {percentage}% | {read} records | {rate} records/s | ETA {eta_formatted}',
                etaBuffer: 20,
                fps: 5,
                hideCursor: true,
                clearOnComplete: true,
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        bar?.start(totalLines, 0, { read: 0, rate: 0 });
        try {
          const summary = await withEngine(
            ctx,
            command,
            (engine) =>
              engine.ingest(file, {
                readOptions,
                batchSize,
                force: opts.force === true,
                onProgress: (p) =>
                  bar?.update(Math.min(p.line, totalLines), {
                    read: formatNumber(p.read),
                    rate: formatNumber(p.elapsedMs > 0 ? Math.round((p.read / p.elapsedMs) * 1000) : 0),
                  }),
                onRefreshProgress: (p) => {
                  if (p.stage !== 'encode' || !bar) return;
                  if (bar.getTotal() !== p.total) {
                    bar.stop();
                    bar.start(p.total, 0, { read: 0, rate: 0 });
                  }
                  bar.update(p.done, { read: `${formatNumber(p.done)} encoded`, rate: '' });
                },
              }),
            { mustExist: false },
          );
          bar?.update(bar.getTotal());
          bar?.stop();
          if (globals.json) ctx.outJson({ store: globals.store, ...summary });
          else printSummary(ctx, summary, globals.store);
        } finally {
          bar?.stop();
        }
      });
  },
};
