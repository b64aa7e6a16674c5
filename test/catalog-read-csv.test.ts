import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readCatalog, loadCatalog } from '../src/catalog/index.ts';
import { PRODUCT_LIMITS } from '../src/catalog/product.ts';
import { isProdsimError } from '../src/errors.ts';
import { collect, fixture, issuesOf, productsOf, withTempDir } from './fixtures/catalog-helpers.ts';


const messyMapping = { price: 'price_cny', tags: 'colour_tags' };

test('CSV with BOM, CRLF, multi-line quoted field and mapping loads the good rows with correct lines', async () => {
  const entries = await collect(fixture('messy.csv'), { mapping: messyMapping });
  const products = productsOf(entries);
  assert.deepEqual(
    products.map((p) => [p.product.id, p.line]),
    [
      ['A1', 2],
      ['A4', 6],
      ['A6', 8],
    ],
  );
  const a1 = products[0]!.product;
  // BOM stripped from the first header (sku resolves to id), CRLF inside the quoted title folded to one space.
  assert.equal(a1.title, 'Nike Air Zoom Pegasus 40');
  assert.equal(a1.description, 'Running shoe');
  assert.equal(a1.price, 1299);
  assert.equal(a1.currency, 'CNY');
  assert.deepEqual(a1.tags, ['black', 'white', 'sport']);
  assert.equal(a1.inStock, true);
  assert.deepEqual(a1.attributes, { 尺码: '42', 颜色: '黑' });
  assert.equal(a1.category, '鞋靴/运动鞋');
  const a4 = products[1]!.product;
  assert.equal(a4.title, 'Quote "inside"');
  assert.equal(a4.price, 12.99);
  assert.equal(a4.currency, 'USD');
  assert.equal(a4.inStock, false);
});

test('malformed CSV rows become issues with line, field, expected and received', async () => {
  const issues = issuesOf(await collect(fixture('messy.csv'), { mapping: messyMapping }));
  const byLine = new Map(issues.map((i) => [i.line, i]));
  assert.deepEqual([...byLine.keys()], [4, 5, 7, 9]);
  const badPrice = byLine.get(4)!;
  assert.equal(badPrice.field, 'price');
  assert.equal(badPrice.id, 'A2');
  assert.equal(badPrice.received, '"abc"');
  assert.match(badPrice.message, /column "price_cny"/);
  assert.equal(badPrice.reason, 'validation');
  const wrongCount = byLine.get(5)!;
  assert.equal(wrongCount.reason, 'syntax');
  assert.equal(wrongCount.expected, '8 columns');
  assert.equal(wrongCount.received, '9 columns');
  const noTitle = byLine.get(7)!;
  assert.equal(noTitle.field, 'title');
  assert.equal(noTitle.id, 'A5');
  assert.match(noTitle.message, /missing title/);
  const unclosed = byLine.get(9)!;
  assert.equal(unclosed.reason, 'syntax');
  assert.match(unclosed.message, /never closed/);
  assert.equal(unclosed.file, fixture('messy.csv'));
});

test('a mapping naming a column the header lacks is rejected up front', async () => {
  await assert.rejects(collect(fixture('messy.csv'), { mapping: { price: 'preis' } }), (e) => {
    assert.ok(isProdsimError(e));
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.equal(e.location?.field, 'price');
    return true;
  });
});

test('strict mode throws INVALID_RECORD with file, line and field at the first bad record', async () => {
  await assert.rejects(collect(fixture('messy.csv'), { mapping: messyMapping, strict: true }), (e) => {
    assert.ok(isProdsimError(e));
    assert.equal(e.code, 'INVALID_RECORD');
    assert.deepEqual(
      { file: e.location?.file, line: e.location?.line, field: e.location?.field, received: e.location?.received },
      { file: fixture('messy.csv'), line: 4, field: 'price', received: '"abc"' },
    );
    return true;
  });
});

test('strict mode throws PARSE_ERROR for a row that cannot be parsed', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'cols.csv');
    await writeFile(path, 'id,title\n1,ok\n2,too,many\n');
    await assert.rejects(collect(path, { strict: true }), (e) => isProdsimError(e) && e.code === 'PARSE_ERROR' && e.location?.line === 3);
  });
});

test('very long CSV field (1 MB description) is parsed whole and refused past the description limit', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'long.csv');
    const long = '很长的描述 long description, with "quotes" and\nnew lines. '.repeat(20_000);
    const quoted = `"${long.replaceAll('"', '""')}"`;
    const within = 'd'.repeat(PRODUCT_LIMITS.maxDescriptionLength);
    await writeFile(path, `id,title,description\n1,Long one,${quoted}\n2,Short,x\n3,At the limit,${within}\n`);
    const entries = await collect(path);
    const products = productsOf(entries);
    assert.deepEqual(products.map((p) => p.product.id), ['2', '3']);
    assert.equal(products[0]!.line, 3 + 20_000); // the long field holds 20,000 new lines
    assert.equal(products[1]!.product.description, within);
    const [issue] = issuesOf(entries);
    assert.equal(issue!.line, 2);
    assert.equal(issue!.field, 'description');
    assert.match(issue!.expected!, /at most/);
  });
});

test('TSV and gzip-compressed CSV are detected from the extension', async () => {
  await withTempDir(async (dir) => {
    await writeFile(join(dir, 'a.tsv'), 'id\ttitle\tprice\n1\tTab, separated\t9.5\n');
    const tsv = productsOf(await collect(join(dir, 'a.tsv')));
    assert.equal(tsv[0]!.product.title, 'Tab, separated');
    await writeFile(join(dir, 'b.csv.gz'), gzipSync('id,title\n7,Gzipped\n'));
    const gz = productsOf(await collect(join(dir, 'b.csv.gz')));
    assert.equal(gz[0]!.product.id, '7');
  });
});

test('duplicate header names are a parse error', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'dup.csv');
    await writeFile(path, 'id,title,title\n1,a,b\n');
    await assert.rejects(collect(path), (e) => isProdsimError(e) && e.code === 'PARSE_ERROR');
  });
});

test('duplicate ids in a CSV: last one wins and the summary counts them', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'dups.csv');
    await writeFile(path, 'id,title\n1,first\n2,two\n1,second\n1,third\n');
    const { products, summary } = await loadCatalog(path);
    assert.deepEqual(
      products.map((p) => [p.id, p.title]),
      [
        ['1', 'third'],
        ['2', 'two'],
      ],
    );
    assert.equal(summary.records, 4);
    assert.equal(summary.uniqueIds, 2);
    assert.equal(summary.duplicateIds, 2);
    assert.deepEqual(summary.duplicateIdExamples, ['1']);
  });
});

test('missing file, unknown extension and unknown options fail with their codes', async () => {
  await assert.rejects(collect('/no/such/catalog.csv'), (e) => isProdsimError(e) && e.code === 'FILE_NOT_FOUND');
  await assert.rejects(collect(fixture('messy.csv').replace('.csv', '.xlsx')), (e) => isProdsimError(e) && e.code === 'UNSUPPORTED_FORMAT');
  await assert.rejects(collect(fixture('messy.csv'), { stritc: true }), (e) => isProdsimError(e) && e.code === 'UNKNOWN_OPTION');
  await assert.rejects(collect(fixture('messy.csv'), { mapping: { name: 'title' } }), (e) => isProdsimError(e) && e.code === 'UNKNOWN_OPTION');
});

test('a corrupt gzip file is a PARSE_ERROR naming the file', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'bad.csv.gz');
    await writeFile(path, Buffer.concat([gzipSync('id,title\n1,a\n'), Buffer.from('not gzip at all')]));
    await assert.rejects(collect(path), (e) => isProdsimError(e) && e.code === 'PARSE_ERROR' && e.location?.file === path);
  });
});

test('stopping early (break) closes the file and later reads still work', async () => {
  for (let i = 0; i < 3; i++) {
    let first: string | undefined;
    for await (const entry of readCatalog(fixture('messy.csv'), { mapping: messyMapping })) {
      if (entry.kind === 'product') {
        first = entry.product.id;
        break;
      }
    }
    assert.equal(first, 'A1');
  }
});

test('old Mac line endings (CR only) and chunk-spanning CRLF keep line numbers right', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'mac.csv');
    await writeFile(path, 'id,title\r1,"two\rlines"\r2,bad,extra\r3,ok\r');
    const entries = await collect(path);
    assert.deepEqual(
      entries.map((e) => (e.kind === 'product' ? `${e.product.id}@${e.line}` : `issue@${e.issue.line}`)),
      ['1@2', 'issue@4', '3@5'],
    );
  });
});

test('semicolon-separated CSV is recognised from its header; an explicit delimiter wins', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'semi.csv');
    await writeFile(path, '"id";"title";"price"\n1;"Kaffee, gemahlen";"4,99 €"\n');
    const products = productsOf(await collect(path));
    assert.deepEqual([products[0]!.product.title, products[0]!.product.price, products[0]!.product.currency], ['Kaffee, gemahlen', 4.99, 'EUR']);
    const forced = issuesOf(await collect(path, { delimiter: ',' }));
    assert.equal(forced.length, 1); // read with ',' the header is one field and the row three
  });
});
