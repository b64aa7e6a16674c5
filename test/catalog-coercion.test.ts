import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parsePrice,
  parseCurrency,
  parseTags,
  parseImages,
  parseAttributes,
  parseInStock,
  normalizeCategory,
  recordToProduct,
  resolveFieldMapping,
  type RecordToProductOptions,
} from '../src/catalog/index.ts';
import { inspect } from 'node:util';

const value = <T>(r: { ok: true; value: T | undefined } | { ok: false; expected: string }): T | undefined => {
  assert.ok(r.ok, `expected success, got failure: ${r.ok ? '' : r.expected}`);
  return r.value;
};

test('prices: signs, words, separators, and what is refused', () => {
  assert.deepEqual(value(parsePrice('¥1,299.00')), { price: 1299, currency: 'CNY' });
  assert.deepEqual(value(parsePrice('￥1299')), { price: 1299, currency: 'CNY' });
  assert.deepEqual(value(parsePrice('1299')), { price: 1299 });
  assert.deepEqual(value(parsePrice(1299)), { price: 1299 });
  assert.deepEqual(value(parsePrice('1299元')), { price: 1299, currency: 'CNY' });
  assert.deepEqual(value(parsePrice('RMB 88.5')), { price: 88.5, currency: 'CNY' });
  assert.deepEqual(value(parsePrice('$12.99')), { price: 12.99, currency: 'USD' });
  assert.deepEqual(value(parsePrice('12.99 USD')), { price: 12.99, currency: 'USD' });
  assert.deepEqual(value(parsePrice('€1.299,00')), { price: 1299, currency: 'EUR' });
  assert.deepEqual(value(parsePrice('１２９９')), { price: 1299 });
  assert.equal(value(parsePrice('')), undefined);
  for (const bad of ['abc', '-5', '99-199', 'Price: 12', '¥12$', true, {}, Number.NaN, -1]) {
    assert.equal(parsePrice(bad).ok, false, `should refuse ${inspect(bad)}`);
  }
});

test('currencies', () => {
  assert.equal(value(parseCurrency('rmb')), 'CNY');
  assert.equal(value(parseCurrency('人民币')), 'CNY');
  assert.equal(value(parseCurrency('usd')), 'USD');
  assert.equal(parseCurrency('dollars').ok, false);
  assert.equal(parseCurrency(1).ok, false);
});

test('tags and images: arrays, delimited text, JSON text; numbers refused', () => {
  assert.deepEqual(value(parseTags('a|b;c,d')), ['a', 'b', 'c', 'd']);
  assert.deepEqual(value(parseTags('红色、 连衣裙，夏季')), ['红色', '连衣裙', '夏季']);
  assert.deepEqual(value(parseTags(['x', ' x ', 'y', 3])), ['x', 'y', '3']);
  assert.deepEqual(value(parseTags('["a","b"]')), ['a', 'b']);
  assert.deepEqual(value(parseTags(undefined)), []);
  assert.equal(parseTags(5).ok, false);
  assert.equal(parseTags([{ a: 1 }]).ok, false);
  assert.deepEqual(value(parseImages('a.jpg|b.jpg')), ['a.jpg', 'b.jpg']);
  assert.deepEqual(value(parseImages('a.jpg, b.jpg')), ['a.jpg', 'b.jpg']);
  assert.deepEqual(value(parseImages('https://cdn/x/w_64,h_64/a.jpg|b.jpg')), ['https://cdn/x/w_64,h_64/a.jpg', 'b.jpg']);
  assert.equal(parseImages(1).ok, false);
});

test('attributes: object, JSON text, k:v text, pairs; malformed refused', () => {
  assert.deepEqual(value(parseAttributes({ 材质: '棉', 重量: 500, 可洗: true, 无: null })), { 材质: '棉', 重量: '500', 可洗: 'true' });
  assert.deepEqual(value(parseAttributes('{"颜色":"黑色"}')), { 颜色: '黑色' });
  assert.deepEqual(value(parseAttributes('颜色:黑色;尺码：XL; capacity=128GB')), { 颜色: '黑色', 尺码: 'XL', capacity: '128GB' });
  assert.deepEqual(value(parseAttributes('颜色:黑色,尺码:XL')), { 颜色: '黑色', 尺码: 'XL' });
  assert.deepEqual(value(parseAttributes('材质:棉,涤纶;颜色:白')), { 材质: '棉,涤纶', 颜色: '白' });
  assert.deepEqual(value(parseAttributes([{ name: '颜色', value: '白' }, ['尺码', 'M']])), { 颜色: '白', 尺码: 'M' });
  assert.deepEqual(value(parseAttributes({ 尺寸: { 长: 10, 宽: 5 } })), { '尺寸.长': '10', '尺寸.宽': '5' });
  assert.equal(parseAttributes('just words').ok, false);
  assert.equal(parseAttributes('{not json').ok, false);
  assert.equal(parseAttributes(42).ok, false);
});

test('inStock words in both languages and stock counts', () => {
  for (const yes of [true, 1, '1', 'true', 'YES', 'y', '有货', '现货', 'In Stock', 12, '3']) assert.equal(value(parseInStock(yes)), true, String(yes));
  for (const no of [false, 0, '0', 'false', 'no', 'N', '无货', '缺货', '售罄', 'sold out', 'out of stock']) assert.equal(value(parseInStock(no)), false, String(no));
  assert.equal(value(parseInStock('')), undefined);
  assert.equal(parseInStock('maybe').ok, false);
  assert.equal(parseInStock(-1).ok, false);
  assert.equal(parseInStock(1.5).ok, false);
});

test('category paths are normalised with /', () => {
  assert.equal(value(normalizeCategory('服装 > 女装 > 连衣裙')), '服装/女装/连衣裙');
  assert.equal(value(normalizeCategory(' 手机|手机壳 ')), '手机/手机壳');
  assert.equal(value(normalizeCategory(['Home', 'Kitchen'])), 'Home/Kitchen');
  assert.equal(normalizeCategory({}).ok, false);
});

const options: RecordToProductOptions = { mapping: {}, guessFieldNames: true, defaultCurrency: 'CNY', extraFieldsAsAttributes: false };

test('records: numeric id to string, default currency, guessed names, and every bad field reported', () => {
  const good = recordToProduct({ product_id: 42, 商品名称: ' 小米 14 ', 价格: '3999', 品牌: '小米' }, options);
  assert.ok(good.ok);
  assert.deepEqual(good.product, { id: '42', title: '小米 14', tags: [], images: [], attributes: {}, brand: '小米', price: 3999, currency: 'CNY' });

  const bad = recordToProduct({ id: 7, title: 'x', price: 'abc', tags: 5, inStock: 'maybe' }, options);
  assert.ok(!bad.ok);
  assert.equal(bad.id, '7');
  assert.deepEqual(
    bad.problems.map((p) => p.field),
    ['tags', 'price', 'inStock'], // in PRODUCT_FIELDS order
  );

  const conflict = recordToProduct({ id: 1, title: 'x', price: '$5', currency: 'CNY' }, options);
  assert.ok(!conflict.ok);
  assert.equal(conflict.problems[0]!.field, 'price');
});

test('mapping: explicit beats own name beats guess; extra columns can become attributes', () => {
  const resolved = resolveFieldMapping(['sku', 'id', 'name', 'title', 'colour'], { id: 'sku' }, true);
  assert.equal(resolved.sources.id, 'sku');
  assert.equal(resolved.sources.title, 'title');
  assert.deepEqual(resolved.unused, ['id', 'name', 'colour']);
  const r = recordToProduct({ sku: 'S1', name: 'Shirt', colour: 'red', 颜色: '红' }, { ...options, extraFieldsAsAttributes: true });
  assert.ok(r.ok);
  assert.deepEqual(r.product.attributes, { colour: 'red', 颜色: '红' });
  const off = recordToProduct({ sku: 'S1', name: 'Shirt' }, { ...options, guessFieldNames: false });
  assert.ok(!off.ok);
});

test('nested JSON source keys through a dotted mapping', () => {
  const r = recordToProduct({ sku: 'n1', info: { name: 'Nested', offer: { price: '¥9.9' } } }, { ...options, mapping: { title: 'info.name', price: 'info.offer.price' } });
  assert.ok(r.ok);
  assert.equal(r.product.title, 'Nested');
  assert.equal(r.product.price, 9.9);
});
