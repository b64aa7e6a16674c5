/**
 * Silent acceptance closed: field sizes and price ranges have named limits, currencies are ISO 4217
 * codes, and text that was not valid UTF-8 is reported; each as an issue with file, line, field and
 * what was expected, while the good records around it still load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PRODUCT_LIMITS } from '../src/catalog/product.ts';
import { readCatalog } from '../src/catalog/read-catalog.ts';
import type { CatalogEntry } from '../src/catalog/catalog.ts';

async function readAll(file: string): Promise<CatalogEntry[]> {
  const out: CatalogEntry[] = [];
  for await (const e of readCatalog(file)) out.push(e);
  return out;
}

function withFile(name: string, content: string | Buffer, fn: (file: string) => Promise<void>) {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-limits-'));
    try {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      await fn(file);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

const good = (id: string) => JSON.stringify({ id, title: `good ${id}`, price: 10, currency: 'CNY' });

/** [what, record, field refused, text the expectation contains] */
const REFUSED: [string, Record<string, unknown>, string, RegExp][] = [
  ['price 1e308', { id: 'x', title: 't', price: 1e308 }, 'price', /at most/],
  ['price above the maximum', { id: 'x', title: 't', price: PRODUCT_LIMITS.maxPrice * 2 }, 'price', /at most/],
  ['price as text above the maximum', { id: 'x', title: 't', price: '99999999999999' }, 'price', /at most/],
  ['currency XYZ', { id: 'x', title: 't', price: 1, currency: 'XYZ' }, 'currency', /ISO 4217/],
  ['currency word in the price, not ISO', { id: 'x', title: 't', price: '12 ABC' }, 'price', /price/],
  ['title too long', { id: 'x', title: 'a'.repeat(PRODUCT_LIMITS.maxTitleLength + 1) }, 'title', /at most/],
  ['description too long', { id: 'x', title: 't', description: 'd'.repeat(PRODUCT_LIMITS.maxDescriptionLength + 1) }, 'description', /at most/],
  ['id too long', { id: 'i'.repeat(PRODUCT_LIMITS.maxIdLength + 1), title: 't' }, 'id', /at most/],
  ['brand too long', { id: 'x', title: 't', brand: 'b'.repeat(PRODUCT_LIMITS.maxShortTextLength + 1) }, 'brand', /at most/],
  ['too many tags', { id: 'x', title: 't', tags: Array.from({ length: PRODUCT_LIMITS.maxListItems + 1 }, (_, i) => `t${i}`) }, 'tags', /at most/],
  ['too many images', { id: 'x', title: 't', images: Array.from({ length: PRODUCT_LIMITS.maxListItems + 1 }, (_, i) => `i${i}.jpg`) }, 'images', /at most/],
  ['a U+FFFD in the title (a sign of invalid UTF-8)', { id: 'x', title: 'bad \uFFFD text' }, 'title', /UTF-8/],
];

for (const [what, record, field, expected] of REFUSED) {
  test(
    `${what}: refused with file, line and field; the good records around it load`,
    withFile('c.jsonl', [good('a'), JSON.stringify(record), good('b')].join('\n') + '\n', async (file) => {
      const entries = await readAll(file);
      assert.deepEqual(entries.filter((e) => e.kind === 'product').map((e) => (e.kind === 'product' ? e.product.id : '')), ['a', 'b']);
      const issue = entries.find((e) => e.kind === 'issue');
      assert.ok(issue && issue.kind === 'issue', 'one issue');
      assert.equal(issue.issue.file, file);
      assert.equal(issue.issue.line, 2);
      assert.equal(issue.issue.field, field);
      assert.match(issue.issue.expected ?? '', expected);
    }),
  );
}

test(
  'invalid UTF-8 bytes in a JSONL line are reported with their line',
  withFile('c.jsonl', Buffer.concat([Buffer.from(good('a') + '\n'), Buffer.from('{"id": "x", "title": "bad '), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}\n'), Buffer.from(good('b') + '\n')]), async (file) => {
    const entries = await readAll(file);
    assert.equal(entries.filter((e) => e.kind === 'product').length, 2);
    const issue = entries.find((e) => e.kind === 'issue');
    assert.ok(issue && issue.kind === 'issue');
    assert.equal(issue.issue.line, 2);
    assert.match(issue.issue.message + (issue.issue.expected ?? ''), /UTF-8/);
  }),
);

test(
  'invalid UTF-8 bytes in a CSV cell are reported with their line',
  withFile('c.csv', Buffer.concat([Buffer.from('id,title,price\na,good a,1\nx,bad '), Buffer.from([0xe4, 0xb8]), Buffer.from(' cell,2\nb,good b,3\n')]), async (file) => {
    const entries = await readAll(file);
    assert.equal(entries.filter((e) => e.kind === 'product').length, 2);
    const issue = entries.find((e) => e.kind === 'issue');
    assert.ok(issue && issue.kind === 'issue');
    assert.equal(issue.issue.line, 3);
    assert.match(issue.issue.expected ?? '', /UTF-8/);
  }),
);

test(
  'valid prices, ISO currencies and long-but-allowed fields still load',
  withFile(
    'c.jsonl',
    [
      JSON.stringify({ id: 'a', title: 't'.repeat(PRODUCT_LIMITS.maxTitleLength), price: PRODUCT_LIMITS.maxPrice, currency: 'usd' }),
      JSON.stringify({ id: 'b', title: 'yen', price: '¥1,299', currency: 'CNY' }),
      JSON.stringify({ id: 'c', title: 'swiss', price: '12.50 CHF' }),
    ].join('\n'),
    async (file) => {
      const entries = await readAll(file);
      assert.deepEqual(entries.map((e) => e.kind), ['product', 'product', 'product'], JSON.stringify(entries.filter((e) => e.kind === 'issue')));
    },
  ),
);
