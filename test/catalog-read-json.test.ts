import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { readCatalog, loadCatalog, splitJsonProducts, formatCatalogReadSummary, type CatalogEntry } from '../src/catalog/index.ts';
import { isProdsimError } from '../src/errors.ts';
import { collect, fixture, issuesOf, productsOf, withTempDir } from './fixtures/catalog-helpers.ts';


test('JSONL: good lines load, a malformed line and bad records become issues, the rest still loads', async () => {
  const entries = await collect(fixture('mixed.jsonl'));
  const products = productsOf(entries);
  assert.deepEqual(
    products.map((p) => [p.product.id, p.line]),
    [
      ['1001', 1],
      ['1001', 8],
      ['1005', 9],
    ],
  );
  const huawei = products[0]!.product;
  assert.equal(huawei.price, 6999);
  assert.equal(huawei.currency, 'CNY');
  assert.deepEqual(huawei.tags, ['手机', '华为', '5G']);
  assert.equal(huawei.inStock, true);
  assert.deepEqual(huawei.attributes, { 内存: '12GB', 存储: '512GB' });
  const sony = products[2]!.product;
  assert.equal(sony.currency, 'USD');
  assert.equal(sony.price, 399);
  assert.equal(sony.category, '电子产品/耳机');
  assert.deepEqual(sony.images, ['a.jpg', 'b.jpg']);
  assert.equal(sony.inStock, false);

  const issues = issuesOf(entries);
  assert.deepEqual(
    issues.map((i) => [i.line, i.reason, i.field ?? null]),
    [
      [2, 'syntax', null],
      [3, 'validation', 'tags'],
      [4, 'validation', 'title'],
      [5, 'validation', 'id'],
      [6, 'syntax', null],
    ],
  );
  assert.match(issues[0]!.message, /not valid JSON/);
  assert.equal(issues[1]!.received, 'number 5');
  assert.equal(issues[1]!.id, '1003');
  assert.equal(issues[2]!.id, '1004');
  assert.equal(issues[3]!.id, undefined);
});

test('JSONL duplicate ids: last kept, counted, and said in the summary line', async () => {
  const { products, summary } = await loadCatalog(fixture('mixed.jsonl'));
  assert.equal(products.find((p) => p.id === '1001')!.price, 6899);
  assert.equal(summary.duplicateIds, 1);
  assert.equal(summary.issues, 5);
  assert.match(formatCatalogReadSummary(summary), /2 products, 5 issues .*1 duplicate id, last kept \(1001\)/);
});

test('JSONL strict mode: PARSE_ERROR for a broken line, INVALID_RECORD for a wrong type', async () => {
  await assert.rejects(collect(fixture('mixed.jsonl'), { strict: true }), (e) => isProdsimError(e) && e.code === 'PARSE_ERROR' && e.location?.line === 2);
  await withTempDir(async (dir) => {
    const path = join(dir, 'types.jsonl');
    await writeFile(path, '{"id":"1","title":"ok"}\n{"id":"2","title":"bad","price":"abc"}\n');
    await assert.rejects(collect(path, { strict: true }), (e) => {
      assert.ok(isProdsimError(e));
      assert.equal(e.code, 'INVALID_RECORD');
      assert.deepEqual([e.location?.file, e.location?.line, e.location?.field, e.location?.received], [path, 2, 'price', '"abc"']);
      return true;
    });
  });
});

test('JSONL with BOM, CRLF and a 1 MB line', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'bom.jsonl');
    const long = '描述 description '.repeat(70_000);
    await writeFile(path, `\uFEFF{"id":"a","title":"A"}\r\n{"id":"b","title":"B","description":${JSON.stringify(long)}}\r\n\r\n{"id":"c","title":"C"}\r\n`);
    const entries = await collect(path);
    // The 1 MB line is read whole and its record refused past the description limit; lines stay right.
    assert.deepEqual(issuesOf(entries).map((i) => [i.line, i.field]), [[2, 'description']]);
    const products = productsOf(entries);
    assert.deepEqual(
      products.map((p) => [p.product.id, p.line]),
      [
        ['a', 1],
        ['c', 4],
      ],
    );
  });
});

test('JSON: an object with a products array, streamed; bad elements are issues with their lines', async () => {
  const entries = await collect(fixture('wrapped.json'));
  const products = productsOf(entries);
  assert.deepEqual(
    products.map((p) => [p.product.id, p.line]),
    [
      ['w1', 5],
      ['w3', 8],
    ],
  );
  assert.match(products[0]!.product.description!, /Brackets in strings: \] \} \[ \{ " and \\ escapes/);
  assert.deepEqual(products[1]!.product.attributes, { 材质: 'TPU', 适用: 'Redmi Note 13, Note 13 Pro' });
  assert.equal(products[1]!.product.price, 39);
  const issues = issuesOf(entries);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.line, 7);
  assert.equal(issues[0]!.reason, 'syntax');
});

test('JSON: a top-level array', async () => {
  const products = productsOf(await collect(fixture('array.json')));
  assert.deepEqual(
    products.map((p) => [p.product.id, p.product.price ?? null, p.product.currency ?? null]),
    [
      ['x1', null, null],
      ['x2', 12.5, 'USD'],
    ],
  );
});

test('JSON: structure errors and truncation', async () => {
  await withTempDir(async (dir) => {
    const notArray = join(dir, 'scalar.json');
    await writeFile(notArray, '"just a string"');
    await assert.rejects(collect(notArray), (e) => isProdsimError(e) && e.code === 'PARSE_ERROR');
    const noProducts = join(dir, 'noproducts.json');
    await writeFile(noProducts, '{"items": [{"id": "1", "title": "x"}]}');
    await assert.rejects(collect(noProducts), (e) => isProdsimError(e) && e.code === 'PARSE_ERROR' && /products/.test(e.message));
    const truncated = join(dir, 'truncated.json');
    await writeFile(truncated, '[{"id": "1", "title": "x"},\n{"id": "2", "tit');
    const entries = await collect(truncated);
    assert.equal(productsOf(entries).length, 1);
    assert.deepEqual(issuesOf(entries).map((i) => [i.line, i.reason]), [[2, 'syntax']]);
  });
});

test('JSON splitter cuts elements across chunk boundaries, whatever the chunk size', async () => {
  const doc = '{"a":"[{","products":[ {"id":"1","t":"x\\"}]"} ,"s\\u00e9", 12 ,[1,{"b":2}],\n{"id":"2"}, {"p":"c:\\\\dir\\\\","q":"x\\\\\\"y]"} ]}';
  const expected = ['{"id":"1","t":"x\\"}]"}', '"s\\u00e9"', '12', '[1,{"b":2}]', '{"id":"2"}', '{"p":"c:\\\\dir\\\\","q":"x\\\\\\"y]"}'];
  assert.deepEqual(JSON.parse(expected[5]!), { p: 'c:\\dir\\', q: 'x\\"y]' });
  for (const size of [1, 2, 3, 4, 5, 7, 1000]) {
    const chunks: string[] = [];
    for (let i = 0; i < doc.length; i += size) chunks.push(doc.slice(i, i + size));
    const got: string[] = [];
    for await (const el of splitJsonProducts(chunks, 'doc.json')) if (el.kind === 'element') got.push(el.text);
    assert.deepEqual(got, expected, `chunk size ${size}`);
  }
});

test('JSON: a large array streams and every element is read', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'big.json');
    const out = createWriteStream(path);
    out.write('[\n');
    const n = 5_000;
    for (let i = 0; i < n; i++) out.write(`${i ? ',\n' : ''}{"id": ${i}, "title": "商品 ${i}", "price": ${i % 100}}`);
    out.end('\n]\n');
    await once(out, 'finish');
    let count = 0;
    let last: CatalogEntry | undefined;
    for await (const e of readCatalog(path)) {
      if (e.kind === 'product') count++;
      last = e;
    }
    assert.equal(count, n);
    assert.equal(last?.kind === 'product' ? last.line : -1, n + 1);
  });
});

test('trackCatalogRead marks repeated ids as they stream by', async () => {
  const { trackCatalogRead, createCatalogReadSummary } = await import('../src/catalog/index.ts');
  const summary = createCatalogReadSummary('mixed.jsonl');
  const flags: string[] = [];
  for await (const e of trackCatalogRead(readCatalog(fixture('mixed.jsonl')), summary)) {
    if (e.kind === 'product') flags.push(`${e.product.id}:${e.duplicate}`);
  }
  assert.deepEqual(flags, ['1001:false', '1001:true', '1005:false']);
  assert.deepEqual(summary.issuesByField, { '(syntax)': 2, tags: 1, title: 1, id: 1 });
});

test('readMappingFile: options or a bare mapping; unknown keys rejected', async () => {
  const { readMappingFile } = await import('../src/catalog/index.ts');
  await withTempDir(async (dir) => {
    const bare = join(dir, 'bare.json');
    await writeFile(bare, '{"_comment": "x", "title": "name", "id": "sku"}');
    assert.deepEqual(await readMappingFile(bare), { mapping: { title: 'name', id: 'sku' } });
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"mapping": {"titel": "name"}}');
    await assert.rejects(readMappingFile(bad), (e) => isProdsimError(e) && e.code === 'UNKNOWN_OPTION');
    await assert.rejects(readMappingFile(join(dir, 'none.json')), (e) => isProdsimError(e) && e.code === 'FILE_NOT_FOUND');
  });
});
