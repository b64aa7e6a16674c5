/**
 * Keyword search: SQLite FTS5 (`store.keywordSearch`, and the exact FTS5 OR query) against the
 * in-memory BM25 index with MaxScore pruning, and with Block-Max MaxScore (`src/store/keyword/`), interleaved query by query on
 * the same store. Reports p50/p99, the ratio, top-10 agreement, build/save/load time and bytes per
 * product in memory and on disk; also whole-title queries (the slow case for FTS5) and filtered ones.
 *
 *   npm run bench:keyword -- [--store /tmp/t100k/store.db] [--queries 400] [--long 40] [--replicate 10]
 *                            [--updates 1,100,1000] [--updates-only] [--no-write]
 *
 * The store is opened read-only; the index file goes to a temp folder. Writes
 * docs/benchmarks/keyword.md and keyword.json. `--updates`: on a temp copy of the store, ingests that
 * many new products in turn and times the keyword index's incremental update from the change log
 * against a full rebuild (and the load + update + save of a file left behind), and probe queries on
 * the updated index (with the delta segment the updates left, `pendingRows`) against the rebuilt one;
 * `--updates ''` skips it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import {
  ANALYZED_FIELDS,
  createMemoryKeywordIndex,
  createMemoryKeywordIndexFromRows,
  createSqliteSyncStore,
  KEYWORD_COLUMN_WEIGHTS,
  loadMemoryKeywordIndex,
  openMemoryKeywordIndex,
  updateMemoryKeywordIndex,
  analyzeProduct,
  toFtsPhrases,
  type KeywordFilter,
  type KeywordHit,
  type KeywordRow,
  type ProductChange,
  type SyncProductStore as ProductStore,
} from '../src/store/index.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { syntheticProduct, syntheticQueries } from './synthetic-catalog.ts';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: '/tmp/t100k/store.db' },
    queries: { type: 'string', default: '400' },
    long: { type: 'string', default: '40' },
    k: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '20' },
    out: { type: 'string', default: path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'benchmarks') },
    /** Also time the memory index on the store's rows repeated this many times (e.g. 10: a 1M-row index; no FTS5 there). */
    replicate: { type: 'string', default: '0' },
    /** Counts of new products ingested in turn into a copy of the store, for the incremental-update case. */
    updates: { type: 'string', default: '1,100,1000' },
    /** Only the incremental-update case (no query benchmark, nothing written). */
    'updates-only': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`npm run bench:keyword -- [options]
  --store <file>       product store (default /tmp/t100k/store.db, the 100k store npm run bench:tasks builds)
  --queries <n>        synthetic queries (default 400)
  --long <n>           whole-title queries (default 40)
  --k <n>              hits a query (default 50)
  --warmup <n>         warm-up queries (default 20)
  --replicate <r>      also time the memory index on the rows repeated r times (e.g. 10: 1M rows)
  --updates <list>     new products ingested in turn into a temp copy of the store: incremental index update
                       vs full rebuild (default 1,100,1000; '' skips)
  --updates-only       only the update case (nothing written)
  --out <dir>          report folder (default docs/benchmarks)
  --no-write           print, do not write the report`);
  process.exit(0);
}

const storePath = args.store;
if (!fs.existsSync(storePath)) {
  console.error(
    `bench:keyword needs a product store at ${storePath} (the 100k synthetic store that npm run bench:tasks builds; point elsewhere with --store <file>)`,
  );
  process.exit(1);
}
const Q = Number(args.queries);
const LONG = Number(args.long);
const K = Number(args.k);
const WARMUP = Number(args.warmup);

const store = createSqliteSyncStore({ path: storePath, readonly: true });
const raw = new Database(storePath, { readonly: true });
const analyzer = createTextAnalyzer();
const n = store.count();
console.log(`store ${storePath}: ${n} products, revision ${store.revision()}`);

// ---- Incremental update after an ingest (on a temp copy of the store) ----
interface UpdateCase {
  /** `new`: new products ingested (keys appended); `changed`: existing products written with a changed title (rows replaced in place). */
  kind: 'new' | 'changed';
  ingested: number;
  /** Store write of the new products (their analysis not included). */
  storeWriteMs: number;
  incrementalMs: number;
  fullRebuildMs: number;
  /** A file saved before the ingest, opened after it: load + update from the log + save. */
  openStaleFileMs: number;
  saveMs: number;
  /** Queries (of 30) whose top-k keys and scores are identical between the updated and the rebuilt index. */
  identicalQueries: number;
  /** Delta rows + tombstones the updated index holds (0 right after a merge). */
  pendingRows: number;
  /** Mean ms a probe query (k = K), interleaved, 5 rounds: the updated index (with its delta) and the rebuilt one. */
  queryMsUpdated: number;
  queryMsRebuilt: number;
}
function runUpdateBench(counts: number[]): UpdateCase[] {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-bench-kw-update-'));
  try {
    const copy = path.join(tmp, 'store.db');
    fs.copyFileSync(storePath, copy);
    if (fs.existsSync(`${storePath}-wal`)) fs.copyFileSync(`${storePath}-wal`, `${copy}-wal`);
    const writable = createSqliteSyncStore({ path: copy });
    let current = createMemoryKeywordIndex(writable);
    const behind = path.join(tmp, 'behind.idx');
    const scratch = path.join(tmp, 'updated.idx');
    const probe = syntheticQueries(n, 30).map((q) => analyzer.analyze(q.text).tokens);
    const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;
    let next = 0;
    const out: UpdateCase[] = [];
    // Existing products spread over the key range, for the `changed` case.
    const existing: string[] = [];
    for (const p of writable.iterateProducts()) if (p.key % 97 === 0) existing.push(p.product.id);
    const cases: { kind: UpdateCase['kind']; count: number }[] = [
      ...counts.map((count) => ({ kind: 'new' as const, count })),
      { kind: 'changed', count: Math.min(100, existing.length) },
    ];
    // One unrecorded update first, so the first recorded one is not the one that compiles the merge code.
    const warm = syntheticProduct(49_999_999);
    writable.upsertProducts([{ product: { ...warm, id: `bench-update-warmup` }, analyzed: analyzeProduct(warm, analyzer) }]);
    current = updateMemoryKeywordIndex(current, writable).index;
    for (const { kind, count } of cases) {
      // UPDATE_REPS writes of `count` products, each followed by an update (median reported; the
      // machine is shared); the rebuild and the stale file are timed after the last one.
      const writeTimes: number[] = [];
      const updateTimes: number[] = [];
      let updated: ReturnType<typeof updateMemoryKeywordIndex> | undefined;
      for (let rep = 0; rep < UPDATE_REPS; rep++) {
        if (rep === UPDATE_REPS - 1) current.save(behind);
        const items = Array.from({ length: count }, (_, i) => {
          if (kind === 'changed') {
            const p = writable.getProduct(existing[i]!)!.product;
            const product = { ...p, title: `${p.title.split(' 新款 ')[0]!} 新款 v${next++}` };
            return { product, analyzed: analyzeProduct(product, analyzer) };
          }
          const p = syntheticProduct(50_000_000 + next++);
          const product = { ...p, id: `bench-update-${p.id}` };
          return { product, analyzed: analyzeProduct(product, analyzer) };
        });
        let t0 = performance.now();
        writable.upsertProducts(items);
        writeTimes.push(performance.now() - t0);
        t0 = performance.now();
        updated = updateMemoryKeywordIndex(current, writable);
        updateTimes.push(performance.now() - t0);
        if (updated.source !== 'updated') throw new Error(`expected an incremental update, got ${updated.source} (${updated.reason})`);
        current = updated.index;
      }
      if (!updated) throw new Error('no update');
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const storeWriteMs = median(writeTimes);
      const incrementalMs = median(updateTimes);
      let t = performance.now();
      updated.index.save(scratch);
      const saveMs = performance.now() - t;
      t = performance.now();
      const full = createMemoryKeywordIndex(writable);
      const fullRebuildMs = performance.now() - t;
      t = performance.now();
      const opened = openMemoryKeywordIndex(writable, behind);
      const openStaleFileMs = performance.now() - t;
      if (opened.source !== 'loaded') throw new Error(`expected the stale file to be updated, got ${opened.source}`);
      let identicalQueries = 0;
      for (const q of probe) {
        const a = updated.index.search(q, { k: K });
        const b = full.search(q, { k: K });
        if (a.length === b.length && a.every((h, i) => h.key === b[i]!.key && h.score === b[i]!.score)) identicalQueries++;
      }
      // Query time with the delta the updates left against the rebuilt (single-segment) index.
      const queryMs = { updated: 0, rebuilt: 0 };
      for (let r = 0; r < 5; r++) {
        probe.forEach((q, i) => {
          for (const which of (i + r) % 2 === 0 ? (['updated', 'rebuilt'] as const) : (['rebuilt', 'updated'] as const)) {
            const idx = which === 'updated' ? updated.index : full;
            const s0 = performance.now();
            idx.search(q, { k: K });
            queryMs[which] += performance.now() - s0;
          }
        });
      }
      const row: UpdateCase = {
        kind,
        ingested: count,
        storeWriteMs: round(storeWriteMs, 1),
        incrementalMs: round(incrementalMs, 1),
        fullRebuildMs: round(fullRebuildMs, 0),
        openStaleFileMs: round(openStaleFileMs, 0),
        saveMs: round(saveMs, 0),
        identicalQueries,
        pendingRows: updated.index.stats().deltaRows + updated.index.stats().tombstones,
        queryMsUpdated: round(queryMs.updated / (5 * probe.length), 3),
        queryMsRebuilt: round(queryMs.rebuilt / (5 * probe.length), 3),
      };
      console.log('update', JSON.stringify(row));
      out.push(row);
    }
    writable.close();
    return out;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
const UPDATE_REPS = 5;
const UPDATE_COUNTS = args.updates.split(',').filter((x) => x.trim() !== '').map(Number);
const updateCases = UPDATE_COUNTS.length > 0 ? runUpdateBench(UPDATE_COUNTS) : null;

/**
 * The update case at scale (`--replicate R` with `--updates`): the store's rows repeated R times
 * behind an in-memory stand-in for the store (its change log, `keywordRowsOf` and row scan), since
 * no R-times larger SQLite store is at hand. Times the index's merge against a full build from the
 * same in-memory rows (a lower bound of a rebuild from SQLite, which also parses every row's JSON).
 */
interface ScaledUpdateCase {
  kind: 'new' | 'changed';
  written: number;
  rows: number;
  incrementalMs: number;
  fullRebuildFromMemoryMs: number;
  identicalQueries: number;
}
function runScaledUpdateBench(counts: number[], R: number): ScaledUpdateCase[] {
  const base = [...store.iterateKeywordRows()];
  const maxKey = base.reduce((m, r) => Math.max(m, r.key), 0);
  const all: KeywordRow[] = [];
  for (let r = 0; r < R; r++) for (const row of base) all.push({ ...row, key: r * maxKey + row.key, id: r === 0 ? row.id : `${row.id}#${r}` });
  base.length = 0;
  const log: ProductChange[] = [];
  let revision = 0;
  const find = (key: number): number => {
    let lo = 0;
    let hi = all.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid]!.key === key) return mid;
      if (all[mid]!.key < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  const fake = {
    revision: () => `scaled-${revision}`,
    changeSeq: () => log.length,
    changeLogId: () => 'scaled',
    changesSince: (seq: number) => log.slice(seq),
    keywordRowsOf: (keys: readonly number[]) => keys.map((k) => all[find(k)]).filter((r): r is KeywordRow => r !== undefined),
    iterateKeywordRows: () => all[Symbol.iterator](),
    transaction: <T>(fn: () => T): T => fn(),
  } as unknown as ProductStore;
  const write = (rows: KeywordRow[]): void => {
    for (const row of rows) {
      const at = find(row.key);
      if (at >= 0) all[at] = row;
      else all.push(row); // new keys are above every key so far
      log.push({ seq: log.length + 1, key: row.key, op: 'upsert' });
    }
    revision++;
  };
  const rowOf = (key: number, id: string, p: ReturnType<typeof syntheticProduct>): KeywordRow => ({
    key,
    id,
    category: p.category ?? null,
    price: p.price ?? null,
    inStock: p.inStock ?? null,
    brand: p.brand ?? null,
    tokens: analyzeProduct(p, analyzer).tokens,
  });
  const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;
  const probe = syntheticQueries(n, 30).map((q) => analyzer.analyze(q.text).tokens);
  let t = performance.now();
  let current = createMemoryKeywordIndex(fake);
  console.log(`scaled update case: ${all.length} rows, built in ${round(performance.now() - t, 0)} ms`);
  let next = 0;
  let nextKey = all[all.length - 1]!.key + 1;
  const out: ScaledUpdateCase[] = [];
  current = (write([rowOf(nextKey++, 'warm-up', syntheticProduct(49_999_999))]), updateMemoryKeywordIndex(current, fake).index);
  const cases = [...counts.map((count) => ({ kind: 'new' as const, count })), { kind: 'changed' as const, count: 100 }];
  for (const { kind, count } of cases) {
    const times: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const rows = Array.from({ length: count }, (_, i) => {
        const p = syntheticProduct(60_000_000 + next++);
        if (kind === 'new') return rowOf(nextKey++, `scaled-new-${next}`, p);
        const target = all[Math.floor(((i + 0.5) / count) * (all.length - 1))]!;
        return rowOf(target.key, target.id, p);
      });
      write(rows);
      t = performance.now();
      const updated = updateMemoryKeywordIndex(current, fake);
      times.push(performance.now() - t);
      if (updated.source !== 'updated') throw new Error(`expected an incremental update, got ${updated.source} (${updated.reason})`);
      current = updated.index;
    }
    t = performance.now();
    const full = createMemoryKeywordIndex(fake);
    const fullMs = performance.now() - t;
    let identicalQueries = 0;
    for (const q of probe) {
      const a = current.search(q, { k: K });
      const b = full.search(q, { k: K });
      if (a.length === b.length && a.every((h, i) => h.key === b[i]!.key && h.score === b[i]!.score)) identicalQueries++;
    }
    const row: ScaledUpdateCase = {
      kind,
      written: count,
      rows: current.size,
      incrementalMs: round(times.sort((a, b) => a - b)[1]!, 1),
      fullRebuildFromMemoryMs: round(fullMs, 0),
      identicalQueries,
    };
    console.log('scaled update', JSON.stringify(row));
    out.push(row);
  }
  return out;
}
const scaledUpdateCases = UPDATE_COUNTS.length > 0 && Number(args.replicate) > 1 ? runScaledUpdateBench(UPDATE_COUNTS, Number(args.replicate)) : null;
if (args['updates-only']) {
  console.table(updateCases ?? []);
  if (scaledUpdateCases) console.table(scaledUpdateCases);
  store.close();
  raw.close();
  process.exit(0);
}

// ---- Build, save, load ----
const memBefore = process.memoryUsage();
let t0 = performance.now();
const index = createMemoryKeywordIndex(store);
const buildMs = performance.now() - t0;
const memAfter = process.memoryUsage();
const stats = index.stats();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-bench-keyword-'));
const file = path.join(dir, 'keyword.idx');
t0 = performance.now();
const fileBytes = index.save(file);
const saveMs = performance.now() - t0;
t0 = performance.now();
const loaded = loadMemoryKeywordIndex(file, { revision: store.revision() });
const loadMs = performance.now() - t0;
console.log(
  `build ${buildMs.toFixed(0)} ms, save ${saveMs.toFixed(0)} ms, load ${loadMs.toFixed(0)} ms; ${stats.terms} terms, ${stats.postings} postings; ` +
    `${(stats.memoryBytes / n).toFixed(0)} B/product in memory, ${(fileBytes / n).toFixed(0)} B/product on disk`,
);

// ---- Is the index the FTS5 index? Vocabulary and row statistics ----
raw.exec(`CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, keyword_index, 'row')`);
const vocab = raw.prepare(`SELECT term, doc FROM vocab`).all() as { term: string; doc: number }[];
const df = loaded.documentFrequencies(vocab.map((v) => v.term));
const vocabMismatches = vocab.filter((v) => df.get(v.term) !== v.doc);
/** FTS5's averages record (rows ever inserted and tokens per column; contentless_delete does not subtract deletes). */
function ftsAverages(): { rows: number; tokens: number } {
  const block = raw.prepare(`SELECT block FROM keyword_index_data WHERE id = 1`).pluck().get() as Buffer;
  let at = 0;
  const varint = (): number => {
    let v = 0;
    for (let i = 0; i < 9; i++) {
      const b = block[at++]!;
      if (i === 8) return v * 256 + b;
      v = v * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) return v;
    }
    return v;
  };
  const rows = varint();
  let tokens = 0;
  for (let c = 0; c < ANALYZED_FIELDS.length; c++) tokens += varint();
  return { rows, tokens };
}
const averages = ftsAverages();
/** Bytes of FTS5's shadow tables in the store file (dbstat), for the on-disk comparison. */
const ftsBytes = (
  raw.prepare(`SELECT 1 FROM pragma_module_list WHERE name = 'dbstat'`).get()
    ? raw.prepare(`SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'keyword_index%'`).pluck().get()
    : null
) as number | null;
console.log(
  `vocabulary: ${vocab.length} FTS5 terms, ${vocabMismatches.length} with another row count here; FTS5 rows ${averages.rows} (store ${n}), ` +
    `avgdl FTS5 ${(averages.tokens / averages.rows).toFixed(4)} vs ${stats.averageLength.toFixed(4)}`,
);

// ---- Queries ----
const BM25 = ANALYZED_FIELDS.map((f) => KEYWORD_COLUMN_WEIGHTS[f]).join(', ');
const orStatement = raw.prepare(
  `SELECT p.id AS id, p.key AS key, bm25(keyword_index, ${BM25}) AS rank FROM keyword_index JOIN products p ON p.key = keyword_index.rowid
   WHERE keyword_index MATCH ? ORDER BY rank LIMIT ?`,
);
function ftsExactOr(tokens: readonly string[], k: number): KeywordHit[] {
  const phrases = toFtsPhrases(tokens);
  if (phrases.length === 0) return [];
  return (orStatement.all(phrases.join(' OR '), k) as { id: string; key: number; rank: number }[]).map((r) => ({ id: r.id, key: r.key, score: -r.rank }));
}

interface Query {
  text: string;
  kind: string;
  tokens: string[];
  filter?: KeywordFilter;
}
const synthetic = syntheticQueries(n, Q + WARMUP).map((q) => ({ text: q.text, kind: q.kind, tokens: analyzer.analyze(q.text).tokens }));
const longQueries: Query[] = Array.from({ length: LONG }, (_, i) => {
  const p = syntheticProduct((i * 15485863 + 17) % n);
  return { text: p.title, kind: 'title', tokens: analyzer.analyze(p.title).tokens };
});
/**
 * Partial matches: a Chinese query plus an English brand (no product has every token), where the
 * store's \`any\` path answers with only its rare tokens (in ≤ 5% of products) when those fill k.
 */
const english = synthetic.filter((q) => q.kind === 'en');
const mixed: Query[] = synthetic
  .filter((q) => q.kind === 'zh')
  .slice(0, Math.min(100, Q))
  .map((q, i) => {
    const brand = english[i % Math.max(1, english.length)]?.tokens[0] ?? 'sony';
    return { text: `${q.text} ${brand}`, kind: 'mixed', tokens: [...q.tokens, brand] };
  });
const FILTER: KeywordFilter = { categoryPrefix: '服装', inStock: true, minPrice: 50 };
const filtered: Query[] = synthetic.slice(WARMUP, WARMUP + Math.min(100, Q)).map((q) => ({ ...q, filter: FILTER }));

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

/** Share of the reference top-10 ids found in the candidate top-10. */
function overlap10(a: KeywordHit[], b: KeywordHit[]): number {
  const want = b.slice(0, 10);
  if (want.length === 0) return a.length === 0 ? 1 : 0;
  const got = new Set(a.slice(0, 10).map((h) => h.id));
  return want.filter((h) => got.has(h.id)).length / want.length;
}
/** Largest relative score difference rank by rank over the top-10 (insensitive to the order of tied rows). */
function scoreGap10(a: KeywordHit[], b: KeywordHit[]): number {
  if (a.length !== b.length && Math.min(a.length, b.length) < 10) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < Math.min(10, a.length, b.length); i++) {
    worst = Math.max(worst, Math.abs(a[i]!.score - b[i]!.score) / Math.max(Math.abs(b[i]!.score), 1e-12));
  }
  return worst;
}

interface Systems {
  store: number[];
  ftsOr: number[];
  memory: number[];
  exhaustive: number[];
  blockmax: number[];
  agreeOr: number[];
  agreeStore: number[];
  scoreGapOr: number[];
  pruneSame: number;
  blockMaxSame: number;
  hits: number[];
}

function run(queries: Query[], warmup: number): Systems {
  const s: Systems = { store: [], ftsOr: [], memory: [], exhaustive: [], blockmax: [], agreeOr: [], agreeStore: [], scoreGapOr: [], pruneSame: 0, blockMaxSame: 0, hits: [] };
  queries.forEach((q, i) => {
    const options = { k: K, ...(q.filter ? { filter: q.filter } : {}) };
    // Interleaved, in a rotating order, so drift in machine load hits every system alike.
    const ops: [keyof Systems, () => KeywordHit[]][] = [
      ['store', () => store.keywordSearch(q.tokens, options)],
      ['ftsOr', () => ftsExactOr(q.tokens, K)],
      ['memory', () => loaded.search(q.tokens, options)],
      ['exhaustive', () => loaded.search(q.tokens, { ...options, pruning: 'none' })],
      ['blockmax', () => loaded.search(q.tokens, { ...options, pruning: 'blockmax' })],
    ];
    const results = new Map<string, KeywordHit[]>();
    for (let j = 0; j < ops.length; j++) {
      const [name, fn] = ops[(i + j) % ops.length]!;
      // The exact OR query takes no filter here: only unfiltered queries are compared with it.
      if (name === 'ftsOr' && q.filter) continue;
      const start = performance.now();
      const r = fn();
      const ms = performance.now() - start;
      results.set(name, r);
      if (i >= warmup) (s[name] as number[]).push(ms);
    }
    if (i < warmup) return;
    const mem = results.get('memory')!;
    s.hits.push(mem.length);
    if (!q.filter) {
      s.agreeOr.push(overlap10(mem, results.get('ftsOr')!));
      s.scoreGapOr.push(scoreGap10(mem, results.get('ftsOr')!));
    }
    s.agreeStore.push(overlap10(mem, results.get('store')!));
    if (JSON.stringify(mem) === JSON.stringify(results.get('exhaustive'))) s.pruneSame++;
    if (JSON.stringify(results.get('blockmax')) === JSON.stringify(results.get('exhaustive'))) s.blockMaxSame++;
  });
  return s;
}

function summary(name: string, s: Systems, count: number) {
  const ms = (xs: number[]) => ({ p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)), mean: round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) });
  const mean = (xs: number[]) => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length, 4) : null);
  const store = ms(s.store);
  const memory = ms(s.memory);
  return {
    name,
    queries: count,
    k: K,
    ms: { store: store, ftsExactOr: s.ftsOr.length ? ms(s.ftsOr) : null, memoryMaxScore: memory, memoryBlockMax: ms(s.blockmax), memoryExhaustive: ms(s.exhaustive) },
    ratioP50: round(store.p50 / memory.p50, 1),
    ratioP99: round(store.p99 / memory.p99, 1),
    top10AgreementWithFtsExactOr: mean(s.agreeOr),
    queriesWithTop10ScoresWithin1e6OfFtsExactOr: s.scoreGapOr.length ? s.scoreGapOr.filter((g) => g <= 1e-6).length : null,
    top10AgreementWithStoreKeywordSearch: mean(s.agreeStore),
    maxScoreSameAsExhaustive: s.pruneSame,
    blockMaxSameAsExhaustive: s.blockMaxSame,
    meanHits: mean(s.hits),
  };
}

const main = run(synthetic, WARMUP);
const mainSummary = summary('synthetic queries (syntheticQueries: brand + colour + thing, brand + words, model numbers)', main, Q);
const longRun = run(longQueries, 0);
const longSummary = summary('whole product titles', longRun, LONG);
const mixedRun = run(mixed, 0);
const mixedSummary = summary('partial matches (a Chinese query + an English brand)', mixedRun, mixed.length);
const filteredRun = run(filtered, 0);
const filteredSummary = summary(`synthetic queries with filter ${JSON.stringify(FILTER)}`, filteredRun, filtered.length);

/**
 * Scale: the store's rows repeated R times (new keys and ids, same tokens), so posting lists are R
 * times longer, as in an R-times larger catalog of the same shape. Memory index only.
 */
const R = Number(args.replicate);
type Latency = { p50: number; p99: number };
let scaled: { rows: number; buildMs: number; memoryBytesPerProduct: number; synthetic: { maxScore: Latency; exhaustive: Latency }; titles: { maxScore: Latency; exhaustive: Latency } } | null = null;
if (R > 1) {
  const base = [...store.iterateKeywordRows()];
  const maxKey = base.reduce((m, r) => Math.max(m, r.key), 0);
  function* repeated(): Generator<KeywordRow> {
    for (let r = 0; r < R; r++) for (const row of base) yield { ...row, key: r * maxKey + row.key, id: r === 0 ? row.id : `${row.id}#${r}` };
  }
  const start = performance.now();
  const big = createMemoryKeywordIndexFromRows(repeated(), 'replicated');
  const scaledBuildMs = performance.now() - start;
  base.length = 0;
  const time = (queries: Query[], pruning: 'maxscore' | 'none'): number[] =>
    queries.map((q) => {
      const t = performance.now();
      big.search(q.tokens, { k: K, pruning });
      return performance.now() - t;
    });
  const at = (qs: Query[]): { maxScore: Latency; exhaustive: Latency } => {
    const ms = time(qs, 'maxscore');
    const ex = time(qs, 'none');
    return { maxScore: { p50: round(percentile(ms, 50)), p99: round(percentile(ms, 99)) }, exhaustive: { p50: round(percentile(ex, 50)), p99: round(percentile(ex, 99)) } };
  };
  const bigStats = big.stats();
  scaled = {
    rows: big.size,
    buildMs: round(scaledBuildMs, 0),
    memoryBytesPerProduct: round(bigStats.memoryBytes / big.size, 0),
    synthetic: at(synthetic.slice(WARMUP)),
    titles: at(longQueries),
  };
  console.log('scaled', JSON.stringify(scaled));
}

const result = {
  date: new Date().toISOString(),
  store: storePath,
  products: n,
  node: process.version,
  cpus: os.cpus().length,
  loadavg: os.loadavg().map((x) => round(x, 2)),
  index: {
    buildMs: round(buildMs, 0),
    saveMs: round(saveMs, 0),
    loadMs: round(loadMs, 0),
    terms: stats.terms,
    postings: stats.postings,
    memoryBytesPerProduct: round(stats.memoryBytes / n, 0),
    heapGrowthBytesPerProduct: round((memAfter.heapUsed + memAfter.arrayBuffers - memBefore.heapUsed - memBefore.arrayBuffers) / n, 0),
    fileBytes,
    fileBytesPerProduct: round(fileBytes / n, 0),
  },
  fts5: {
    vocabularyTerms: vocab.length,
    termsWithOtherRowCount: vocabMismatches.length,
    examples: vocabMismatches.slice(0, 5),
    shadowTableBytes: ftsBytes,
    shadowTableBytesPerProduct: ftsBytes === null ? null : round(ftsBytes / n, 0),
    rowsCounted: averages.rows,
    averageLength: round(averages.tokens / averages.rows, 4),
    indexAverageLength: round(stats.averageLength, 4),
  },
  runs: [mainSummary, longSummary, mixedSummary, filteredSummary],
  scaled,
  updates: updateCases,
  scaledUpdates: scaledUpdateCases,
};
console.log(JSON.stringify(result.runs, null, 1));

if (!args['no-write']) {
  fs.mkdirSync(args.out, { recursive: true });
  fs.writeFileSync(path.join(args.out, 'keyword.json'), `${JSON.stringify(result, null, 2)}\n`);
  const row = (s: ReturnType<typeof summary>) =>
    `| ${s.name} | ${s.queries} | ${s.ms.store.p50} / ${s.ms.store.p99} | ${s.ms.ftsExactOr ? `${s.ms.ftsExactOr.p50} / ${s.ms.ftsExactOr.p99}` : '–'} | ` +
    `${s.ms.memoryMaxScore.p50} / ${s.ms.memoryMaxScore.p99} | ${s.ms.memoryBlockMax.p50} / ${s.ms.memoryBlockMax.p99} | ${s.ms.memoryExhaustive.p50} / ${s.ms.memoryExhaustive.p99} | ×${s.ratioP50} / ×${s.ratioP99} | ` +
    `${s.top10AgreementWithFtsExactOr ?? '–'} | ${s.top10AgreementWithStoreKeywordSearch} | ${s.maxScoreSameAsExhaustive}/${s.queries} | ${s.blockMaxSameAsExhaustive}/${s.queries} |`;
  const md = `# Keyword search: FTS5 vs the in-memory BM25 index

Produced by \`npm run bench:keyword\` on ${result.date.slice(0, 10)} (${n} products from \`${storePath}\`, k = ${K},
Node ${process.version}, ${result.cpus} shared cores, load average at the end ${result.loadavg.join(' / ')}).
Each query runs on every system in turn (rotating order), after ${WARMUP} warm-up queries.

- **store** = \`ProductStore.keywordSearch\` (FTS5 with the AND-first and common-token heuristics of its \`any\` mode)
- **FTS5 OR** = the exact FTS5 OR query with the same bm25 weights (what the heuristics approximate)
- **memory** = \`createMemoryKeywordIndex\` + \`search\` (MaxScore, the default), **block-max** = the same index with
  \`pruning: 'blockmax'\` (Block-Max MaxScore), **exhaustive** = the same index scoring every matching row

## Latency (ms, p50 / p99)

| queries | n | store | FTS5 OR | memory (MaxScore) | memory (block-max) | memory exhaustive | store ÷ memory | top-10 agreement with FTS5 OR | with store | MaxScore = exhaustive | block-max = exhaustive |
|---|---|---|---|---|---|---|---|---|---|---|---|
${[mainSummary, longSummary, mixedSummary, filteredSummary].map(row).join('\n')}

Top-10 agreement is the share of the reference's top-10 ids found in the memory index's top-10 (rows
tied at rank 10 may be cut differently). Scores: ${mainSummary.queriesWithTop10ScoresWithin1e6OfFtsExactOr}/${Q} synthetic queries,
${longSummary.queriesWithTop10ScoresWithin1e6OfFtsExactOr}/${LONG} titles and ${mixedSummary.queriesWithTop10ScoresWithin1e6OfFtsExactOr}/${mixed.length} partial matches have their top-10 scores
within 1e-6 (relative) of the exact FTS5 OR query rank by rank. The memory index returns the exact OR
top-k; the store's \`any\` path returns the rows with every token when they fill k, else drops tokens
in more than 5% of products when the rest fill k, else the OR query: agreement with the store below 1
is that heuristic, not a scoring difference.

## Index

| build | save | load | terms | postings | memory / product | file / product |
|---|---|---|---|---|---|---|
| ${result.index.buildMs} ms | ${result.index.saveMs} ms | ${result.index.loadMs} ms | ${stats.terms} | ${stats.postings} | ${result.index.memoryBytesPerProduct} B | ${result.index.fileBytesPerProduct} B |

For comparison, FTS5's shadow tables take ${result.fts5.shadowTableBytesPerProduct ?? '?'} B/product in the store file (varint-compressed
doclists with positions; the memory index keeps no positions but fixed-width typed arrays).
Memory is the typed arrays and strings the index holds (heap + array buffers grew by
${result.index.heapGrowthBytesPerProduct} B/product during the build, garbage included).
Terms include the phrases of stored tokens that FTS5 splits (\`1.5l\` → \`1 5l\`).

${
    scaled
      ? `## Scale: the same rows ×${R} (${scaled.rows.toLocaleString('en')} rows, memory index only)

Built in ${scaled.buildMs} ms from the store's rows repeated with new keys and ids (posting lists ${R}× longer,
as in a ${R}× larger catalog of the same shape), ${scaled.memoryBytesPerProduct} B/row in memory. FTS5 is not run at this size.
Every row has ${R - 1} copies with the same score, so the top-k threshold rises sooner than in a real
catalog of that size: MaxScore's gain over exhaustive scoring here is an upper estimate.

| queries | MaxScore p50 / p99 (ms) | exhaustive p50 / p99 (ms) |
|---|---|---|
| synthetic | ${scaled.synthetic.maxScore.p50} / ${scaled.synthetic.maxScore.p99} | ${scaled.synthetic.exhaustive.p50} / ${scaled.synthetic.exhaustive.p99} |
| whole titles | ${scaled.titles.maxScore.p50} / ${scaled.titles.maxScore.p99} | ${scaled.titles.exhaustive.p50} / ${scaled.titles.exhaustive.p99} |

`
      : ''
  }${
    updateCases
      ? `## Update after an ingest: incremental vs full rebuild

On a temp copy of the store, new products are ingested in turn (${UPDATE_COUNTS.join(', then ')}), then ${updateCases.at(-1)?.ingested}
existing products are written with a changed title (their rows replaced in place); after each,
the open index (after one unrecorded warm-up update) is updated from the store's change log (\`updateMemoryKeywordIndex\`: the changed rows are
read and merged, every posting list rewritten once) and, for comparison, rebuilt from the store
(\`createMemoryKeywordIndex\`). "Stale file" is \`openMemoryKeywordIndex\` on a file saved before the
last write: load, update from the log, save. Store write = \`upsertProducts\` of the analysed products.
Each case is written and updated ${UPDATE_REPS} times in a row (median of the writes and updates; the rebuild, save
and stale file once, after the last).

| products written | store write | incremental update | full rebuild | rebuild ÷ update | save | stale file: load + update + save | identical top-k (of 30) |
|---|---|---|---|---|---|---|---|
${updateCases.map((u) => `| ${u.ingested} ${u.kind} | ${u.storeWriteMs} ms | ${u.incrementalMs} ms | ${u.fullRebuildMs} ms | ×${round(u.fullRebuildMs / Math.max(u.incrementalMs, 0.1), 1)} | ${u.saveMs} ms | ${u.openStaleFileMs} ms | ${u.identicalQueries} |`).join('\n')}
${
  scaledUpdateCases
    ? `
At ×${R} (the store's rows repeated behind an in-memory stand-in for the store, its change log and row reads;
median of 3 updates; the rebuild here reads rows from memory, a lower bound of a rebuild from SQLite):

| products written | rows | incremental update | full rebuild from memory rows | rebuild ÷ update | identical top-k (of 30) |
|---|---|---|---|---|---|
${scaledUpdateCases.map((u) => `| ${u.written} ${u.kind} | ${u.rows} | ${u.incrementalMs} ms | ${u.fullRebuildFromMemoryMs} ms | ×${round(u.fullRebuildFromMemoryMs / Math.max(u.incrementalMs, 0.1), 1)} | ${u.identicalQueries} |`).join('\n')}
`
    : ''
}
`
      : ''
  }## Same index as FTS5?

- Vocabulary: ${vocab.length} FTS5 terms (fts5vocab); ${vocabMismatches.length} have a different row count in the memory index.
- FTS5 counts ${averages.rows} rows (store: ${n}); average row length FTS5 ${result.fts5.averageLength}, memory index ${result.fts5.indexAverageLength}.
  FTS5's contentless_delete table never subtracts deleted or replaced rows from these totals, so after
  updates or deletes its N and avgdl drift from the catalog, and its scores with them (in the test store,
  150 products with 30 updated and 22 deleted, a top score is 22% off); the memory index uses the live
  catalog's statistics (test/keyword-index.test.ts checks them against FTS5 on a fresh store).
`;
  fs.writeFileSync(path.join(args.out, 'keyword.md'), md);
  console.log(`wrote ${path.join(args.out, 'keyword.md')} and keyword.json`);
}
fs.rmSync(dir, { recursive: true, force: true });
raw.close();
store.close();
