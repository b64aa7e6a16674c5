import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadCatalog, readMappingFile, resolveImagePath, isImageUrl, type Product } from '../src/catalog/index.ts';

const data = (name: string): string => join(import.meta.dirname, '..', 'data', name);
const hasChinese = (s: string): boolean => /[\u4e00-\u9fff]/.test(s);

async function readCsvRows(path: string): Promise<Record<string, string>[]> {
  const [header, ...lines] = (await readFile(path, 'utf8')).trim().split('\n');
  const cols = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [cols[i]!, v])));
}

test('sample catalog: ≥300 bilingual products across the categories, 0 issues, no duplicate ids', async () => {
  const { products, issues, summary } = await loadCatalog(data('sample-catalog.jsonl'));
  assert.deepEqual(issues, []);
  assert.equal(summary.duplicateIds, 0);
  assert.ok(products.length >= 300, `${products.length} products`);
  const zh = products.filter((p) => hasChinese(p.title)).length;
  const en = products.filter((p) => !hasChinese(p.title)).length;
  assert.ok(zh >= 100 && en >= 80, `zh ${zh}, en ${en}`);
  const roots = new Set(products.map((p) => p.category!.split('/')[0]));
  for (const root of ['手机', '数码', '电脑', '服装', '鞋靴', '家居']) assert.ok(roots.has(root), root);
  for (const path of ['服装/女装/连衣裙', '服装/男装/T恤', '手机/手机壳', '手机/钢化膜', '手机/充电器']) {
    assert.ok(products.some((p) => p.category === path), path);
  }
  assert.ok(products.some((p) => p.currency === 'USD'));
  assert.ok(products.some((p) => p.inStock === false));
  for (const code of ['SM-G9910', 'WH-1000XM5', 'DSC-W120']) assert.ok(products.some((p) => p.title.includes(code)), code);
  assert.ok(products.every((p) => p.price !== undefined && p.price > 0 && p.brand && p.description && p.tags.length > 0));
  const titles = new Set(products.map((p) => p.title));
  assert.ok(titles.has('苹果 iPhone 15 Pro 256GB 黑色') && titles.has('Apple iPhone 15 Pro 256GB Black'));
});

test('sample catalog pairs name real listings of the same item', async () => {
  const { products } = await loadCatalog(data('sample-catalog.jsonl'));
  const byId = new Map(products.map((p) => [p.id, p]));
  const pairs = await readCsvRows(data('sample-catalog-pairs.csv'));
  assert.ok(pairs.length >= 50);
  const relations = new Set(pairs.map((p) => p.relation));
  for (const r of ['cross-language', 'near-duplicate', 'traditional-chinese']) assert.ok(relations.has(r), r);
  for (const { left_id, right_id, relation } of pairs) {
    const a = byId.get(left_id!)!;
    const b = byId.get(right_id!)!;
    assert.ok(a && b, `${left_id} ${right_id}`);
    assert.equal(a.category, b.category);
    if (relation === 'cross-language') assert.notEqual(hasChinese(a.title), hasChinese(b.title), `${a.title} / ${b.title}`);
  }
});

test('CSV subset loads with its mapping file, same products as the JSONL', async () => {
  const options = await readMappingFile(data('sample-catalog.mapping.json'));
  assert.equal(options.mapping?.title, 'name');
  const { products, issues } = await loadCatalog(data('sample-catalog.csv'), options);
  assert.deepEqual(issues, []);
  assert.ok(products.length >= 50);
  const jsonl = new Map((await loadCatalog(data('sample-catalog.jsonl'))).products.map((p) => [p.id, p]));
  for (const p of products) {
    const twin = jsonl.get(p.id)!;
    assert.equal(p.title, twin.title);
    assert.equal(p.category, twin.category);
    assert.equal(p.currency, 'CNY');
    assert.equal(p.inStock, twin.inStock);
  }
});

test('shops A and B load (B through guessed field names) and the ground truth refers to both', async () => {
  const a = await loadCatalog(data('shop-a.jsonl'));
  const b = await loadCatalog(data('shop-b.jsonl'));
  assert.deepEqual([a.issues, b.issues], [[], []]);
  const aIds = new Set(a.products.map((p) => p.id));
  const bIds = new Set(b.products.map((p) => p.id));
  const truth = await readCsvRows(data('shop-ab-matches.csv'));
  const positives = truth.filter((t) => t.label === '1');
  assert.ok(positives.length >= 55 && positives.length <= 65, `${positives.length} matches`);
  assert.ok(truth.filter((t) => t.label === '0').length >= 40);
  assert.ok(positives.filter((t) => t.kind === 'cross-language').length >= 15);
  for (const kind of ['different-spec', 'different-colour', 'sibling-model']) assert.ok(truth.some((t) => t.label === '0' && t.kind === kind), kind);
  for (const t of truth) assert.ok(aIds.has(t.left_id!) && bIds.has(t.right_id!), `${t.left_id},${t.right_id}`);
  // Shop B writes prices and stock as text: they must come out as numbers and booleans.
  const bProduct: Product = b.products[0]!;
  assert.equal(typeof bProduct.price, 'number');
  assert.equal(typeof bProduct.inStock, 'boolean');
  assert.ok(b.products.every((p) => p.category && !p.category.includes('>')));
});

test('images: small real pictures, plus broken and missing ones on purpose', async () => {
  const { products } = await loadCatalog(data('sample-catalog.jsonl'));
  const catalog = data('sample-catalog.jsonl');
  const referenced = new Set(products.flatMap((p) => p.images).filter((i) => !isImageUrl(i)));
  assert.ok(referenced.size >= 30);
  let total = 0;
  const failures: string[] = [];
  for (const image of referenced) {
    const path = resolveImagePath(catalog, image);
    if (!existsSync(path)) {
      failures.push(`missing:${image}`);
      continue;
    }
    total += (await stat(path)).size;
    try {
      const meta = await sharp(path).metadata();
      await sharp(path).raw().toBuffer();
      assert.deepEqual([meta.width, meta.height], [64, 64]);
    } catch {
      failures.push(`broken:${image}`);
    }
  }
  assert.deepEqual(failures.sort(), ['broken:images/broken.jpg', 'broken:images/truncated.png', 'missing:images/missing-photo.jpg']);
  assert.ok(total < 500_000, `${total} bytes`);
});

test('user history refers to sample catalog products', async () => {
  const { products } = await loadCatalog(data('sample-catalog.jsonl'));
  const ids = new Set(products.map((p) => p.id));
  const history = JSON.parse(await readFile(data('sample-user-history.json'), 'utf8')) as { users: { userId: string; viewed: string[]; bought: string[] }[] };
  assert.ok(history.users.length >= 5);
  for (const u of history.users) {
    assert.ok(u.viewed.length > 0, u.userId);
    for (const id of [...u.viewed, ...u.bought]) assert.ok(ids.has(id), `${u.userId}: ${id}`);
  }
});

test('the committed data is exactly what the seeded generator writes', async () => {
  const { mkdtemp, rm, readdir } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { execFileSync } = await import('node:child_process');
  const out = await mkdtemp(join(tmpdir(), 'prodsim-sample-'));
  try {
    const root = join(import.meta.dirname, '..');
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/generate-sample-catalog.ts', '--out', out], { cwd: root, stdio: 'pipe' });
    const generated = [...(await readdir(out)).filter((f) => f !== 'images'), ...(await readdir(join(out, 'images'))).map((f) => `images/${f}`)];
    assert.ok(generated.length > 40);
    for (const file of generated) {
      // Pictures only need to exist: their bytes depend on the libvips build inside sharp.
      if (file.startsWith('images/')) {
        assert.ok(existsSync(data(file)), `${file} is not committed`);
        continue;
      }
      const [fresh, committed] = await Promise.all([readFile(join(out, file)), readFile(data(file))]);
      assert.ok(fresh.equals(committed), `${file} differs from a fresh run: re-run the generator and commit`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
