/**
 * A deterministic synthetic bilingual catalog for benchmarks: 70% Chinese, 30% English products with
 * realistic field shapes (title, description, tags, brand, category path, price, attributes). Product
 * `i` is always the same (seeded by `i`), so benchmarks can regenerate queries from ids.
 * Shared by bench/ingest.ts, bench/tasks.ts and bench/hybrid-vs-orama.ts.
 */
import fs from 'node:fs';
import type { Product } from '../src/catalog/product.ts';
import { seededRandom } from '../src/random.ts';

export const rng = seededRandom;
export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const ZH_COLOURS = ['红色', '黑色', '白色', '蓝色', '灰色', '粉色', '米色', '军绿色', '酒红色', '藏青色'];
const ZH_ADJ = ['新款', '夏季', '冬季', '加厚', '轻薄', '宽松', '修身', '透气', '防水', '大容量', '便携', '韩版', '复古', '简约'];
const ZH_THINGS: [string, string][] = [
  ['连衣裙', '服装/女装/连衣裙'],
  ['羽绒服', '服装/女装/羽绒服'],
  ['牛仔裤', '服装/男装/裤子'],
  ['运动鞋', '鞋靴/运动鞋'],
  ['双肩包', '箱包/双肩包'],
  ['保温杯', '家居/水杯'],
  ['手机壳', '数码/手机配件'],
  ['蓝牙耳机', '数码/耳机'],
  ['机械键盘', '电脑/外设'],
  ['电饭煲', '家电/厨房电器'],
  ['洗面奶', '美妆/洁面'],
  ['猫粮', '宠物/猫粮'],
];
const ZH_BRANDS = ['优衣库', '李宁', '安踏', '小米', '华为', '美的', '九阳', '欧莱雅', '罗技', '森马', '波司登', '膳魔师'];
const EN_ADJ = ['new', 'lightweight', 'waterproof', 'wireless', 'slim', 'classic', 'portable', 'premium', 'stainless', 'organic'];
const EN_THINGS: [string, string][] = [
  ['running shoes', 'Shoes/Running'],
  ['backpack', 'Bags/Backpacks'],
  ['headphones', 'Electronics/Audio'],
  ['mechanical keyboard', 'Computers/Peripherals'],
  ['water bottle', 'Home/Kitchen'],
  ['phone case', 'Electronics/Accessories'],
  ['t-shirt', 'Clothing/Men/Tops'],
  ['rice cooker', 'Appliances/Kitchen'],
];
const EN_BRANDS = ['Nike', 'Sony', 'Logitech', 'Apple', 'Samsung', 'Anker', 'Adidas', 'Philips', 'Thermos', 'Xiaomi'];
const SIZES = ['S', 'M', 'L', 'XL', 'XXL'];

export function syntheticProduct(i: number): Product {
  const r = rng(i * 2654435761);
  const zh = r() < 0.7;
  const sku = `${pick(r, ['A', 'B', 'K', 'X', 'MX'])}${Math.floor(r() * 9000 + 1000)}-${Math.floor(r() * 90 + 10)}`;
  if (zh) {
    const [thing, category] = pick(r, ZH_THINGS);
    const colour = pick(r, ZH_COLOURS);
    const brand = pick(r, ZH_BRANDS);
    const adj = [pick(r, ZH_ADJ), pick(r, ZH_ADJ)];
    return {
      id: `zh-${i}`,
      title: `${brand} ${adj[0]}${colour}${thing} ${adj[1]} ${sku}`,
      description: `${brand}${thing}，${colour}，${adj.join('、')}设计，适合日常通勤和旅行使用。型号${sku}，品质保证，七天无理由退换。`,
      tags: [colour, adj[0]!, thing],
      brand,
      category,
      price: Math.round(r() * 200000) / 100,
      currency: 'CNY',
      images: [`images/${i}.jpg`],
      attributes: { 颜色: colour, 尺码: pick(r, SIZES), 型号: sku },
      inStock: r() < 0.85,
    };
  }
  const [thing, category] = pick(r, EN_THINGS);
  const brand = pick(r, EN_BRANDS);
  const adj = pick(r, EN_ADJ);
  return {
    id: `en-${i}`,
    title: `${brand} ${adj} ${thing} ${sku}`,
    description: `The ${brand} ${thing} is ${adj} and built for everyday use. Model ${sku}. Free returns within 30 days.`,
    tags: [adj, thing.split(' ')[0]!],
    brand,
    category,
    price: Math.round(r() * 50000) / 100,
    currency: 'USD',
    images: [`images/${i}.jpg`],
    attributes: { colour: pick(r, ['black', 'white', 'blue', 'red']), model: sku },
    inStock: r() < 0.85,
  };
}

/** Writes products 0..n-1 as JSONL; returns the file size in bytes. */
export async function writeCatalog(file: string, n: number): Promise<number> {
  const out = fs.createWriteStream(file);
  const CHUNK = 5000;
  for (let start = 0; start < n; start += CHUNK) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(n, start + CHUNK); i++) lines.push(JSON.stringify(syntheticProduct(i)));
    if (!out.write(lines.join('\n') + '\n')) await new Promise<void>((res) => out.once("drain", () => res()));
  }
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
  return fs.statSync(file).size;
}

export interface SyntheticQuery {
  /** What a shopper would type: brand + colour + thing (Chinese), brand + thing (English), or a model number. */
  text: string;
  kind: 'zh' | 'en' | 'model-number';
  /** The product the query was made from. */
  fromId: string;
}

/**
 * `count` deterministic search queries over a catalog of `n` products, the same for every system
 * benchmarked: ~45% Chinese (`小米 黑色蓝牙耳机`), ~45% English (`Sony wireless headphones`), 10% model
 * numbers (`MX1234-56`).
 */
export function syntheticQueries(n: number, count: number): SyntheticQuery[] {
  const out: SyntheticQuery[] = [];
  for (let q = 0; q < count; q++) {
    const p = syntheticProduct((q * 7919 + 101) % n);
    const sku = p.attributes['型号'] ?? p.attributes['model'] ?? '';
    if (q % 10 === 9 && sku) {
      out.push({ text: sku, kind: 'model-number', fromId: p.id });
    } else if (p.id.startsWith('zh-')) {
      out.push({ text: `${p.brand} ${p.attributes['颜色']}${p.tags[2]}`, kind: 'zh', fromId: p.id });
    } else {
      const words = p.title.split(' ');
      out.push({ text: [p.brand, ...words.slice(words.indexOf(p.brand!) + 1, -1)].join(' '), kind: 'en', fromId: p.id });
    }
  }
  return out;
}

/** `count` deterministic product ids of a catalog of `n` products (sources for similar-items queries). */
export function syntheticIds(n: number, count: number): string[] {
  return Array.from({ length: count }, (_, q) => {
    const i = (q * 104729 + 7) % n;
    return syntheticProduct(i).id;
  });
}
