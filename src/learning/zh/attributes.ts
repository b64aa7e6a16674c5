/**
 * Chinese product attributes from a Taobao-style record: `pv_pairs` (品牌, 货号, 颜色分类, 尺码,
 * 适用性别, …) first, the title as a fallback (gender words 男鞋/女款, colour words, model codes).
 * Values are normalised (NFKC, lower case, traditional → simplified) so 黑色/黑色 and 紅/红 compare equal.
 */
import { normalizeText } from '../../text/normalize.ts';
import { colourWords } from '../../similarity/field-similarities/attributes.ts';
import { extractModelCodes } from '../product-codes.ts';
import type { PairRecord } from '../pairs.ts';
import { pvPairsToMap } from './taobao.ts';

export type Gender = 'male' | 'female' | 'unisex';
export type AgeGroup = 'child' | 'adult';

export interface ZhAttributes {
  /** All `pv_pairs`, key → normalised value. */
  pv: Map<string, string>;
  /** Brand name parts (`Nike/耐克` → ['nike', '耐克']); empty when absent or a placeholder (其他, other, 无). */
  brand: string[];
  /** 货号, canonical (lower case, letters, digits and Han characters only); '' when absent. */
  modelNumber: string;
  /** Model codes found in the title (letters + digits, canonical). */
  titleCodes: string[];
  /** Canonical colours from 颜色分类 (pv) — the listed variants. */
  pvColours: readonly string[];
  /** Canonical colours named in the title. */
  titleColours: readonly string[];
  /** Sizes listed in 尺码 (pv), normalised tokens. */
  sizes: string[];
  /** From 适用性别 / 性别 when given, else from title gender words; undefined when nothing says. */
  gender: Gender | undefined;
  /** Children's product (童, 儿童, 宝宝…) vs adult; undefined when unknown. */
  age: AgeGroup | undefined;
  /** Year of 上市年份季节 / 上市时间 (e.g. 2020); undefined when absent. */
  year: number | undefined;
  category: string;
  categoryPath: string[];
  /** Normalised title with letters, digits and Han only (for "does the other title contain this code"). */
  titleCompact: string;
}

const PLACEHOLDER_VALUES = new Set(['其他', '其它', 'other', 'others', '无', '无品牌', '暂无', '无牌', 'oem', 'none', 'null', '-', '/', '见描述', '详见描述', '如图', '图片色', '未知']);
const BRAND_KEYS = ['品牌', 'brand'];
const MODEL_KEYS = ['货号', '型号', '款号'];
const COLOUR_KEYS = ['颜色分类', '颜色', '主要颜色', '颜色分类(色系)'];
const SIZE_KEYS = ['尺码', '尺寸', '鞋码', '大小'];
const GENDER_KEYS = ['适用性别', '性别'];
const YEAR_KEYS = ['上市年份季节', '上市时间', '上市年份'];

/** NFKC, lower case, traditional → simplified, whitespace collapsed. */
export function normalizeZhValue(value: string): string {
  return normalizeText(value, { traditionalToSimplified: true }).trim();
}

function compact(s: string): string {
  return s.replace(/[^\p{L}\p{N}]/gu, '');
}

/** Brand value → its name parts: `Nike/耐克`, `耐克（NIKE）`, `ANTA 安踏` → lower-case parts; placeholders → []. */
export function brandParts(value: string | undefined): string[] {
  if (!value) return [];
  const v = normalizeZhValue(value);
  if (PLACEHOLDER_VALUES.has(v)) return [];
  const parts = new Set<string>();
  for (const piece of v.split(/[/|\\()（）[\]【】,，、;；]+/u)) {
    const p = compact(piece);
    if (p.length === 0 || PLACEHOLDER_VALUES.has(p)) continue;
    parts.add(p);
    // `anta安踏`: the Latin and the Han halves are the same brand's two names.
    const latin = p.replace(/\p{Script=Han}+/gu, '');
    const han = p.replace(/[^\p{Script=Han}]+/gu, '');
    if (latin.length >= 2 && han.length >= 2) {
      parts.add(latin);
      parts.add(han);
    }
  }
  return [...parts];
}

/** 货号 value → canonical code ('' for placeholders). */
export function canonicalModelValue(value: string | undefined): string {
  if (!value) return '';
  const v = normalizeZhValue(value);
  if (PLACEHOLDER_VALUES.has(v)) return '';
  return compact(v);
}

const FEMALE_WORDS = ['女鞋', '女款', '女士', '女装', '女式', '女生', '女性', '女童', '女孩', '女宝', '少女', '女神', '淑女', '妈妈', '女人', '女子', '女'];
const MALE_WORDS = ['男鞋', '男款', '男士', '男装', '男式', '男生', '男性', '男童', '男孩', '男宝', '少男', '爸爸', '男人', '男子', '男'];
const UNISEX_WORDS = ['男女', '女男', '中性', '情侣', '通用', '男女通用', '男女同款'];
const CHILD_WORDS = ['童', '儿童', '宝宝', '婴儿', '幼儿', '小孩', '小童', '中大童', '大童', '学步'];

/** Gender from a value of 适用性别 (男 / 女 / 男女通用 / 情侣…). */
export function genderOfValue(value: string | undefined): Gender | undefined {
  if (!value) return undefined;
  const v = normalizeZhValue(value);
  if (UNISEX_WORDS.some((w) => v.includes(w)) || (v.includes('男') && v.includes('女'))) return 'unisex';
  if (v.includes('女')) return 'female';
  if (v.includes('男')) return 'male';
  return undefined;
}

/**
 * Gender a title states. Titles are keyword soups that often name both (软底女春夏…男女): a title
 * with female and male words, or 男女/中性/情侣, is unisex; otherwise the side it names.
 */
export function genderOfTitle(title: string): Gender | undefined {
  const t = normalizeZhValue(title);
  if (UNISEX_WORDS.some((w) => t.includes(w))) return 'unisex';
  const female = FEMALE_WORDS.some((w) => t.includes(w));
  const male = MALE_WORDS.some((w) => t.includes(w));
  if (female && male) return 'unisex';
  if (female) return 'female';
  if (male) return 'male';
  return undefined;
}

function splitList(value: string): string[] {
  return value
    .split(/[,，、;；/|\s]+/u)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !PLACEHOLDER_VALUES.has(s));
}

function firstValue(pv: Map<string, string>, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = pv.get(k);
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/** Attributes of one Taobao record (`title`, `category`, `category_path`, raw `pv_pairs`). */
export function extractZhAttributes(record: PairRecord): ZhAttributes {
  const pv = new Map<string, string>();
  for (const [k, v] of pvPairsToMap(record['pv_pairs'])) pv.set(normalizeZhValue(k), normalizeZhValue(v));
  const title = normalizeZhValue(record['title'] ?? '');
  const brand = brandParts(firstValue(pv, BRAND_KEYS));
  const modelNumber = canonicalModelValue(firstValue(pv, MODEL_KEYS));
  const colourValue = firstValue(pv, COLOUR_KEYS);
  const sizeValue = firstValue(pv, SIZE_KEYS);
  const genderValue = firstValue(pv, GENDER_KEYS);
  const yearValue = firstValue(pv, YEAR_KEYS);
  const year = yearValue?.match(/(?:19|20)\d\d/)?.[0];
  const childText = `${title} ${pv.get('适用年龄') ?? ''} ${pv.get('适用对象') ?? ''} ${record['category_path'] ?? ''}`;
  return {
    pv,
    brand,
    modelNumber,
    titleCodes: extractModelCodes(title),
    pvColours: colourValue ? colourWords(colourValue) : [],
    titleColours: colourWords(title),
    sizes: sizeValue ? splitList(sizeValue) : [],
    gender: genderOfValue(genderValue) ?? genderOfTitle(title),
    age: CHILD_WORDS.some((w) => childText.includes(w)) ? 'child' : undefined,
    year: year ? Number(year) : undefined,
    category: normalizeZhValue(record['category'] ?? ''),
    categoryPath: (record['category_path'] ?? '').split('/').map((s) => normalizeZhValue(s)).filter((s) => s !== ''),
    titleCompact: compact(title),
  };
}

/**
 * Brand names a catalog declares in its 品牌 attributes, as segmenter user words (Han names of 2–8
 * characters, e.g. 朗宾顿, 安德玛), so titles that glue the brand to other words (安德玛UA男子…)
 * keep it as one token. Unsupervised: reads attributes only.
 */
export function catalogBrandWords(records: readonly PairRecord[], minCount = 1): string[] {
  const counts = new Map<string, number>();
  for (const r of records) {
    const value = pvPairsToMap(r['pv_pairs']).get('品牌');
    for (const p of brandParts(value)) if (/^\p{Script=Han}{2,8}$/u.test(p)) counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return [...counts].filter(([, c]) => c >= minCount).map(([w]) => w).sort();
}
