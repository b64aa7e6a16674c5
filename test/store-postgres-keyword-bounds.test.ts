/**
 * Keyword search on PostgreSQL prunes with each lexeme's stored rank bound
 * (`keyword_frequencies.max_rank`): the bound must hold for every current row through inserts,
 * replacements and deletions, a migrated database must get it, and the pruned top k must be the
 * first k of ranking every matching row. On PostgreSQL and on Citus; skips without the servers of
 * `scripts/test-servers.sh` (see test/fixtures/postgres-servers.ts).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createPostgresStore } from '../src/store/postgres/pg-store.ts';
import { PG_SCHEMA_VERSION } from '../src/store/postgres/schema.ts';
import { TS_RANK_WEIGHTS, lexeme } from '../src/store/postgres/tsvector.ts';
import { analyzeProduct } from '../src/store/product-record.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import type { ProductStore } from '../src/store/store.ts';
import type { Product } from '../src/catalog/product.ts';
import { postgresTestTarget } from './fixtures/postgres-servers.ts';

const analyzer = createTextAnalyzer();
const product = (id: string, title: string, description?: string): Product => ({
  id,
  title,
  tags: [],
  images: [],
  attributes: {},
  ...(description ? { description } : {}),
});
const item = (p: Product) => ({ product: p, analyzed: analyzeProduct(p, analyzer) });

const targets = [
  { name: 'PostgreSQL', target: await postgresTestTarget('PRODSIM_TEST_POSTGRES_URL', false) },
  { name: 'Citus', target: await postgresTestTarget('PRODSIM_TEST_CITUS_URL', true) },
];

for (const { name, target } of targets) {
  describe(`keyword rank bounds on ${name}`, { skip: target.skip }, () => {
    after(() => target.dropSchemas());

    /** Per lexeme of a column: the stored bound and the largest ts_rank of any current row (null: no row holds it). */
    async function bounds(url: string, column: 'keywords' | 'han_keywords'): Promise<Map<string, { stored: number | null; actual: number | null }>> {
      const schema = new URL(url).searchParams.get('schema');
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      try {
        // Two statements, joined here: Citus plans no correlated subquery over a reference table.
        const stored = await client.query<{ lexeme: string; stored: number | null }>(
          `SELECT lexeme, max_rank AS stored FROM ${schema}.keyword_frequencies WHERE col = $1`,
          [column],
        );
        // Each lexeme as a tsquery quoted by `tsvector.ts` (the stored bounds are computed with SQL's own quoting).
        const lexemes = stored.rows.map((r) => r.lexeme);
        const actual = await client.query<{ lexeme: string; actual: number }>(
          `SELECT t.lexeme, max(ts_rank($1::float4[], p.${column}, t.q::tsquery, 0)) AS actual FROM ${schema}.products p, unnest($2::text[], $3::text[]) AS t(lexeme, q)
           WHERE p.${column} @@ t.q::tsquery GROUP BY t.lexeme`,
          [`{${TS_RANK_WEIGHTS.join(',')}}`, lexemes, lexemes.map(lexeme)],
        );
        const actualOf = new Map(actual.rows.map((r) => [r.lexeme, r.actual]));
        return new Map(stored.rows.map((r) => [r.lexeme, { stored: r.stored, actual: actualOf.get(r.lexeme) ?? null }]));
      } finally {
        await client.end();
      }
    }

    test('each lexeme bound holds for every current row, is the largest rank while no holder was removed, and starts afresh once none holds it', async () => {
      const url = await target.freshSchemaUrl();
      const store = await createPostgresStore({ url, distributed: target.distributed });
      try {
        await store.upsertProducts(
          [
            product('a', 'red dress red', 'a red silk dress'),
            product('b', 'blue dress', 'summer'),
            product('c', 'walnut table', 'solid walnut walnut'),
            product('d', '红色连衣裙 雪纺', '红色 夏季'),
            product('g', 'oak chair', 'walnut legs'),
          ].map(item),
        );
        // More than 256 positions of one lexeme (tsvector keeps 256), and positions past 16,383 (all at 16,383, the larger weight kept).
        const words = Array.from({ length: 16_500 }, (_, i) => `w${i % 900}`).join(' ');
        await store.upsertProducts([item({ ...product('long', 'echo echo', `${'echo '.repeat(300)} ${words}`), attributes: { note: 'w899 echo' } })]);
        // Tokens from another analyser may hold tsquery syntax: quotes and backslashes.
        const quoted = item(product('q', 'quoted'));
        await store.upsertProducts([{ ...quoted, analyzed: { ...quoted.analyzed, tokens: { ...quoted.analyzed.tokens, title: ["it's", 'a\\b', 'quoted'] } } }]);
        for (const column of ['keywords', 'han_keywords'] as const) {
          for (const [lexeme, { stored, actual }] of await bounds(url, column)) {
            assert.ok(stored !== null && actual !== null && Math.abs(stored - actual) < 1e-6, `${column} ${lexeme}: stored ${stored}, largest rank ${actual}`);
          }
        }
        assert.ok((await bounds(url, 'keywords')).has("it's"), 'a lexeme with a quote');
        // "walnut" in c's title, then only in descriptions: the bound stays (no current row reaches it, still a bound).
        await store.upsertProducts([item(product('c', 'oak table', 'walnut finish'))]);
        const walnut = (await bounds(url, 'keywords')).get('walnut')!;
        assert.ok(walnut.stored! >= walnut.actual! - 1e-6 && walnut.stored! > walnut.actual! + 0.01, `walnut kept its larger bound: ${JSON.stringify(walnut)}`);
        // Every holder of "walnut" gone, then a product with it in its description only: the bound is that row's rank again.
        await store.deleteProducts(['c', 'g']);
        await store.upsertProducts([item(product('f', 'plain box', 'walnut'))]);
        const fresh = (await bounds(url, 'keywords')).get('walnut')!;
        assert.ok(Math.abs(fresh.stored! - fresh.actual!) < 1e-6, `walnut's bound set afresh: ${JSON.stringify(fresh)}`);
        for (const column of ['keywords', 'han_keywords'] as const) {
          for (const [lexeme, { stored, actual }] of await bounds(url, column))
            if (actual !== null) assert.ok(stored! >= actual - 1e-6, `${column} ${lexeme}: ${stored} < ${actual}`);
        }
      } finally {
        await store.close();
      }
    });

    for (const { version, downgrade } of [
      { version: 7, downgrade: (schema: string) => `ALTER TABLE ${schema}.keyword_frequencies DROP COLUMN max_rank` },
      { version: 5, downgrade: (schema: string) => `DROP TABLE ${schema}.keyword_frequencies` },
    ]) {
      test(`a version-${version} database gets the bounds on open`, async () => {
        const url = await target.freshSchemaUrl();
        const store = await createPostgresStore({ url, distributed: target.distributed });
        await store.upsertProducts([product('a', 'red dress red', 'silk'), product('b', '红色连衣裙')].map(item));
        await store.close();
        const schema = new URL(url).searchParams.get('schema')!;
        const client = new pg.Client({ connectionString: target.url });
        await client.connect();
        await client.query(downgrade(schema));
        await client.query(`UPDATE ${schema}.prodsim_meta SET value = $1 WHERE key = 'schema_version'`, [String(version)]);
        await client.end();
        const migrated = await createPostgresStore({ url });
        try {
          assert.equal((await migrated.stats()).schemaVersion, PG_SCHEMA_VERSION);
          for (const column of ['keywords', 'han_keywords'] as const) {
            const all = await bounds(url, column);
            assert.ok(all.size > 0);
            for (const [lexeme, { stored, actual }] of all)
              assert.ok(stored !== null && Math.abs(stored - actual!) < 1e-6, `${column} ${lexeme}: ${stored} against ${actual}`);
          }
        } finally {
          await migrated.close();
        }
      });
    }

    test('the pruned top k is the first k of every matching row ranked, when the top rows hold most query tokens', async () => {
      const url = await target.freshSchemaUrl();
      const store: ProductStore = await createPostgresStore({ url, distributed: target.distributed });
      try {
        // 240 products over brands × colours × things, titles and descriptions: 12 hold every word of
        // a query, many tie at the best score, others hold all but one word (some in a description only).
        const brands = ['acme', 'zenith', 'orbit', '森马'];
        const colours = ['red', 'black', 'navy', '白色', '藏青色'];
        const things = ['dress', 'kettle', 'phone case', '连衣裙', '保温杯', '蓝牙耳机'];
        const products: Product[] = [];
        for (let i = 0; i < 240; i++) {
          const [b, c, t] = [brands[i % 4]!, colours[Math.floor(i / 4) % 5]!, things[Math.floor(i / 20) % 6]!];
          const title = i % 7 === 3 ? `${b} ${t}` : i % 11 === 5 ? `${b} ${c}${t} ${c}` : `${b} ${c}${t}`;
          products.push(product(`p${String(i).padStart(3, '0')}`, title, i % 7 === 3 ? `${c} colour` : i % 13 === 0 ? `${t} by ${b}` : 'in stock'));
        }
        await store.upsertProducts(products.map(item));
        const queries = ['acme red dress', 'zenith navy kettle', '森马 白色连衣裙', 'orbit 藏青色蓝牙耳机', '森马 藏青色保温杯', 'acme black phone case'];
        let compared = 0;
        for (const text of queries) {
          const tokens = analyzer.tokenize(text);
          for (const granularity of ['words', 'hanNgrams'] as const) {
            // k above the catalog size: the probe covers every token, so every matching row is ranked.
            const everyRow = await store.keywordSearch(tokens, { k: 1000, granularity });
            for (const k of [1, 3, 5, 8]) {
              if (everyRow.length <= k) continue;
              assert.deepEqual(await store.keywordSearch(tokens, { k, granularity }), everyRow.slice(0, k), `${granularity} k=${k}: ${text}`);
              compared++;
            }
          }
        }
        assert.ok(compared >= 40, `${compared} comparisons`);
      } finally {
        await store.close();
      }
    });
  });
}
