/**
 * Why the HNSW index of a PostgreSQL store misses neighbours (`npm run bench:postgres-recall -- --store URL --n N`),
 * on a schema `bench:postgres` filled (`--schema`): item vectors of its probe ids as queries, the item left out,
 *
 *   - id and tie-aware recall@10 against an exact scan of every stored vector, at each `--ef` (hnsw.ef_search),
 *     with the store's iterative-scan settings and nearest-neighbour statement;
 *   - each probe that misses, with the exact and the returned cosines (a probe whose exact ten are all 1.0 has
 *     identical twins the index did not reach);
 *   - how the stored vectors fall into groups of identical vectors: HNSW links a group of identical vectors
 *     larger than its link budget (2 m at level 0) only to itself, so a search that enters it cannot leave.
 *
 * Prints JSON lines; no report is written.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createEngine } from '../src/engine/engine.ts';
import { collectAll } from '../src/store/store.ts';
import { vectorHash } from '../src/store/postgres/distinct-vectors.ts';
import { nearestNeighboursSql } from '../src/store/postgres/nearest.ts';
import { HNSW_SEARCH, PG_META } from '../src/store/postgres/schema.ts';
import { vectorLiteral } from '../src/store/postgres/vectors.ts';
import { syntheticIds } from './synthetic-catalog.ts';
import { cosineTo, exactTop } from './exact-neighbours.ts';

const { values: args } = parseArgs({
  options: { store: { type: 'string' }, n: { type: 'string' }, probes: { type: 'string', default: '100' }, ef: { type: 'string', default: String(HNSW_SEARCH.efSearch) }, tie: { type: 'string', default: '0.001' } },
});
if (!args.store || !args.n) throw new Error('--store postgres://…?schema=NAME and --n (the products bench:postgres stored) are required');
const K = 10;
const tie = Number(args.tie);
const engine = await createEngine({ store: args.store, images: false, readonly: true });
const encoderId = engine.catalog.textEncoder.id;
const vectors = (await collectAll(engine.store.vectorsFor(encoderId))).map((v) => ({ id: v.id, v: v.vector }));
const vectorOf = new Map(vectors.map((x) => [x.id, x.v] as const));
const probes = syntheticIds(Number(args.n), Number(args.probes)).filter((id) => vectorOf.has(id));
/** The exact ten cosines of each probe, its own row left out. */
const exact = probes.map((id) => exactTop(vectors, vectorOf.get(id)!, id, K).map((x) => x.s));

const url = new URL(args.store);
const schema = url.searchParams.get('schema');
url.searchParams.delete('schema');
const client = new pg.Client({
  connectionString: url.toString(),
  options: [...(schema ? [`-c search_path=${schema},public`] : []), `-c hnsw.iterative_scan=${HNSW_SEARCH.iterativeScan}`, `-c hnsw.max_scan_tuples=${HNSW_SEARCH.maxScanTuples}`].join(' '),
});
await client.connect();
const distributed = (await client.query(`SELECT value FROM prodsim_meta WHERE key = $1`, [PG_META.distributed])).rows[0]?.value === 'true';
// The store's statement, with the twins branch on plain PostgreSQL ($4: the probe's vector hash).
const sql = nearestNeighboursSql(vectors[0]!.v.length, distributed ? 'vectorPerProduct' : 'distinctVectors', [], distributed ? undefined : '$4');
for (const ef of args.ef.split(',').map(Number)) {
  await client.query(`SET hnsw.ef_search = ${ef}`);
  let asClose = 0;
  for (let i = 0; i < probes.length; i++) {
    const q = vectorOf.get(probes[i]!)!;
    const params = [vectorLiteral(q), encoderId, K + 1, ...(distributed ? [] : [vectorHash(q)])];
    const ids = [...new Set((await client.query<{ id: string }>(sql, params)).rows.map((r) => r.id))];
    const rows = ids.filter((id) => id !== probes[i]).map((id) => ({ id })).slice(0, K);
    const returned = rows.map((r) => cosineTo(q, vectorOf.get(r.id)));
    const close = returned.filter((s) => s >= exact[i]![K - 1]! - tie).length;
    asClose += close;
    const round = (xs: number[]) => xs.map((x) => Math.round(x * 1e4) / 1e4);
    if (close < K) console.log(JSON.stringify({ ef, probe: probes[i], asClose: close, exact: round(exact[i]!), returned: round(returned) }));
  }
  console.log(JSON.stringify({ ef, probes: probes.length, tieAwareRecallAt10: asClose / (probes.length * K) }));
}
const groups = await client.query<{ size_from: number; size_to: number; groups: string; vectors: string }>(
  `SELECT min(n) AS size_from, max(n) AS size_to, count(*) AS groups, sum(n) AS vectors
   FROM (SELECT count(*) AS n FROM vectors WHERE encoder_id = $1 AND current GROUP BY md5(embedding::text)) g
   GROUP BY width_bucket(n, ARRAY[1, 2, 3, 5, 10, 33, 100, 1000]) ORDER BY 1`,
  [encoderId],
);
console.log(JSON.stringify({ identicalVectorGroups: groups.rows.map((r) => ({ size: `${r.size_from}–${r.size_to}`, groups: Number(r.groups), vectors: Number(r.vectors) })) }));
await client.end();
await engine.close();
