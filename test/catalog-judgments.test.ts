import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  judgmentsByQuery,
  judgmentsFromQrels,
  readRelevanceJudgments,
  readTrecQrels,
  readTsvCorpus,
  readTsvQueries,
} from '../src/catalog/judgments.ts';
import { ProdsimError } from '../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'prodsim-judgments-'));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const SHARED = join(import.meta.dirname, '../../shared/datasets/search-relevance');

test('judgment CSV: columns by header name, quoted queries, mean relevance, extra columns ignored', () => {
  const file = write('j.csv', '\uFEFFrelevance_variance,query,product_id,relevance\n0,"socks, wool",p1,2.5\n0.4,bed,p2,4\n');
  assert.deepEqual(readRelevanceJudgments(file), [
    { query: 'socks, wool', productId: 'p1', relevance: 2.5 },
    { query: 'bed', productId: 'p2', relevance: 4 },
  ]);
});

test('judgment CSV: a missing column or a non-numeric relevance is a PARSE_ERROR with the line', () => {
  assert.throws(() => readRelevanceJudgments(write('nocol.csv', 'query,id,relevance\nq,p,1\n')), (e: unknown) => e instanceof ProdsimError && e.code === 'PARSE_ERROR' && /product_id/.test(e.message));
  assert.throws(() => readRelevanceJudgments(write('bad.csv', 'query,product_id,relevance\nq,p,1\nq,p2,high\n')), (e: unknown) => e instanceof ProdsimError && e.code === 'PARSE_ERROR' && e.location?.line === 3);
  assert.throws(() => readRelevanceJudgments(join(dir, 'absent.csv')), (e: unknown) => e instanceof ProdsimError && e.code === 'FILE_NOT_FOUND');
});

test('TREC qrels, TSV queries and corpus; qrels joined to query texts', () => {
  const qrels = readTrecQrels(write('qrels.tsv', '1\t0\td7\t1\n2 0 d9 2\n\n'));
  assert.deepEqual(qrels, [
    { queryId: '1', productId: 'd7', relevance: 1 },
    { queryId: '2', productId: 'd9', relevance: 2 },
  ]);
  const queries = readTsvQueries(write('queries.tsv', '1\t蓝牙 耳机\n2\t墙面底漆\n'));
  assert.deepEqual(queries, [
    { queryId: '1', query: '蓝牙 耳机' },
    { queryId: '2', query: '墙面底漆' },
  ]);
  assert.deepEqual(readTsvCorpus(write('corpus.tsv', 'd7\t多乐士 白色乳胶漆\r\n')), [{ id: 'd7', title: '多乐士 白色乳胶漆' }]);
  const judgments = judgmentsFromQrels(queries, qrels);
  assert.deepEqual(judgments[1], { query: '墙面底漆', productId: 'd9', relevance: 2 });
  assert.deepEqual([...judgmentsByQuery(judgments).keys()], ['蓝牙 耳机', '墙面底漆']);
  assert.throws(() => readTrecQrels(write('short.tsv', '1 0 d7\n')), (e: unknown) => e instanceof ProdsimError && e.location?.line === 1);
  assert.throws(() => readTsvQueries(write('notab.tsv', '1 query\n')), (e: unknown) => e instanceof ProdsimError && e.code === 'PARSE_ERROR');
  assert.throws(() => judgmentsFromQrels([], qrels), (e: unknown) => e instanceof ProdsimError && e.code === 'INVALID_ARGUMENT');
});

const missing = !existsSync(SHARED);
test('the shared search-relevance sets load with the sizes ../shared/README.md states', { skip: missing ? 'needs ../shared/datasets/search-relevance (not in a fresh clone)' : false }, () => {
  const cf = readRelevanceJudgments(join(SHARED, 'crowdflower/judgments-dev.csv'));
  assert.equal(cf.length, 5186);
  assert.equal(judgmentsByQuery(cf).size, 130);
  const dirZh = join(SHARED, 'multicpr-ecom-mini');
  const zh = judgmentsFromQrels(readTsvQueries(join(dirZh, 'queries-dev.tsv')), readTrecQrels(join(dirZh, 'qrels-dev.tsv')));
  assert.equal(judgmentsByQuery(zh).size, 125);
  assert.equal(readTsvCorpus(join(dirZh, 'corpus.tsv')).length, 2083);
});
