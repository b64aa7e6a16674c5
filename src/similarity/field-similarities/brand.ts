/**
 * Brand similarity: normalisation, then an alias table that knows the Chinese and English forms of
 * the same brand (苹果 ≡ Apple), then, for brands the table does not know, pinyin (富安娜 ≡ FUANNA)
 * and spelling similarity.
 * The table is a data file, `src/similarity/data/brand-aliases.json`; pass `aliases` to extend it.
 */
import { readFileSync } from 'node:fs';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { pinyinSpellings } from '../../text/pinyin.ts';
import { editSimilarity, memoizePair, memoizeString, round, type FieldEvidence, type FieldSimilarity } from './types.ts';

export interface BrandAlias {
  canonical: string;
  forms: string[];
  /** Canonical id of the parent brand for sub-brands (Redmi → xiaomi). */
  parent?: string;
}

export type BrandMatchKind = 'exact' | 'alias' | 'sub-brand' | 'pinyin' | 'similar-spelling' | 'containment' | 'different' | 'in-title';

export interface BrandEvidence extends FieldEvidence {
  kind: BrandMatchKind;
  a: string;
  b: string;
  /** Canonical ids the alias table resolved each side to (empty when unknown). */
  canonicalA: string[];
  canonicalB: string[];
}

export interface BrandSimilarityOptions {
  /** Extra alias entries, merged with the built-in table (an entry with a known canonical adds forms to it). */
  aliases: readonly BrandAlias[];
  /** Use the built-in table from the data file. */
  useBuiltInAliases: boolean;
  /** Score when one brand is a sub-brand of the other, or both share a parent (Redmi vs Xiaomi). */
  subBrandScore: number;
  /** Below this spelling similarity (1 − edit distance / length) unknown brands count as different. */
  minSpellingSimilarity: number;
  /** Score when one normalised brand contains the other (e.g. `sonyericsson` vs `sony`). */
  containmentScore: number;
}

export const DEFAULT_BRAND_SIMILARITY_OPTIONS = {
  aliases: [],
  useBuiltInAliases: true,
  subBrandScore: 0.7,
  minSpellingSimilarity: 0.8,
  containmentScore: 0.5,
} as const satisfies BrandSimilarityOptions;

let builtIn: BrandAlias[] | undefined;

/** The alias table shipped in `data/brand-aliases.json`, loaded once. */
export function builtInBrandAliases(): readonly BrandAlias[] {
  if (!builtIn) {
    const url = new URL('../data/brand-aliases.json', import.meta.url);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(url, 'utf8'));
    } catch (err) {
      // Into a catalogue error: the shipped alias table unreadable is FILE_NOT_FOUND with its path.
      throw createError('FILE_NOT_FOUND', `brand alias table ${url.pathname} could not be read: ${(err as Error).message}`, {
        file: url.pathname,
      });
    }
    const brands = (parsed as { brands?: unknown }).brands;
    if (!Array.isArray(brands)) throw createError('PARSE_ERROR', 'brand alias table: expected a "brands" array', { file: url.pathname });
    builtIn = brands as BrandAlias[];
  }
  return builtIn;
}

const STORE_SUFFIX_ZH = /(京东自营|天猫|官方旗舰店|旗舰店|官方店|专卖店|专营店|官方|自营|品牌)$/u;
// Latin suffixes need a space before them so `bestore` keeps its `store`.
const STORE_SUFFIX_EN = /\s+(official\s+store|flagship\s+store|official|store)$/u;
const COMPANY_SUFFIX =
  /((科技|技术|电子|电器|数码|实业|贸易)?(股份)?有限(责任)?公司|集团|公司|\binc\b\.?|\bcorp(oration)?\b\.?|\bco\b\.?,?\s*\bltd\b\.?|\bltd\b\.?|\blimited\b|\bllc\b|\bgmbh\b|\bco\b\.?)$/u;

/**
 * NFKC, lower case, accents removed, shop and company suffixes removed, trimmed. Not memoised: its
 * one caller, `brandKey`, is (a cache here never hit: 0 of 54,394 calls over 1,550 similar calls).
 */
export function normalizeBrand(brand: string): string {
  let s = brand.normalize('NFKC').toLowerCase().normalize('NFD').replace(/\p{M}+/gu, '').normalize('NFC').trim();
  for (let i = 0; i < 3; i++) {
    const before = s;
    s = s.replace(/[\s.,，。]+$/u, '');
    s = s.replace(STORE_SUFFIX_ZH, '').replace(STORE_SUFFIX_EN, '').trim();
    s = s.replace(/[\s.,，。]+$/u, '');
    s = s.replace(COMPANY_SUFFIX, '').trim();
    if (s === before) break;
  }
  return s;
}

/** The comparison key of one brand form: normalised, with everything but letters and digits removed. */
export const brandKey: (brand: string) => string = memoizeString((brand) => normalizeBrand(brand).replace(/[^\p{L}\p{N}]+/gu, ''));

/** Catalogs often write both forms in one field: `苹果（Apple）`, `Apple/苹果`, `华为 HUAWEI`. */
/** Frozen (the array is shared between calls). */
export const brandForms: (brand: string) => readonly string[] = memoizeString((b) => Object.freeze(brandFormsUncached(b)));

function brandFormsUncached(brand: string): string[] {
  const whole = brandKey(brand);
  const parts = brand
    .normalize('NFKC')
    .split(/[/|()（）[\]【】、,，]+/u)
    .flatMap((p) => {
      const t = p.trim();
      // `华为 HUAWEI`: a Han run next to a Latin run are two forms of one name.
      const scripts = t.match(/[\p{Script=Han}]+|[^\p{Script=Han}]+/gu) ?? [];
      return scripts.length > 1 ? [t, ...scripts] : [t];
    })
    .map(brandKey)
    .filter((k) => k.length > 0);
  return [...new Set([whole, ...parts].filter((k) => k.length > 0))];
}

/** Values catalogs put in the brand field when there is no brand: they mean "missing", not a brand. */
export const PLACEHOLDER_BRAND_KEYS: ReadonlySet<string> = new Set(
  ['other', 'others', '其他', '其它', '无', '无品牌', '没有', '暂无', 'none', 'na', 'n/a', 'null', 'unknown', 'generic', 'unbranded', 'nobrand', 'no brand', '未知', '不详', '杂牌', '通用', '自主品牌', '自有品牌', '无牌', 'oem', 'noname', 'no name'].map(brandKey),
);

/** Forms of a brand value, without placeholders; empty when the value only says "no brand". */
function meaningfulForms(brand: string): string[] {
  const forms = brandForms(brand);
  const kept = forms.filter((k) => !PLACEHOLDER_BRAND_KEYS.has(k));
  // `other/其他` has the whole-value form `other其他`: drop it when every part is a placeholder.
  return kept.length > 0 && forms.length > 1 && kept.length === 1 && kept[0] === forms[0] ? [] : kept;
}

export type BrandSimilarityFn = (a: string | undefined, b: string | undefined) => FieldSimilarity<BrandEvidence> | undefined;

export function createBrandSimilarity(options: Partial<BrandSimilarityOptions> = {}): BrandSimilarityFn {
  rejectUnknownKeys(options, Object.keys(DEFAULT_BRAND_SIMILARITY_OPTIONS), 'createBrandSimilarity');
  const opts: BrandSimilarityOptions = { ...DEFAULT_BRAND_SIMILARITY_OPTIONS, ...options };
  const table = [...(opts.useBuiltInAliases ? builtInBrandAliases() : []), ...opts.aliases];
  const byKey = new Map<string, Set<string>>();
  const parentOf = new Map<string, string>();
  for (const entry of table) {
    for (const form of [entry.canonical, ...entry.forms]) {
      const k = brandKey(form);
      if (k.length === 0) continue;
      let set = byKey.get(k);
      if (!set) byKey.set(k, (set = new Set()));
      set.add(entry.canonical);
    }
    if (entry.parent) parentOf.set(entry.canonical, entry.parent);
  }

  function resolve(forms: string[]): string[] {
    const out = new Set<string>();
    for (const f of forms) for (const c of byKey.get(f) ?? []) out.add(c);
    return [...out];
  }

  const compare = memoizePair(compareBrands);
  return function brandSimilarity(a, b) {
    if (a === undefined || b === undefined) return undefined;
    return compare(a, b);
  };

  function compareBrands(a: string, b: string): FieldSimilarity<BrandEvidence> | undefined {
    const formsA = meaningfulForms(a);
    const formsB = meaningfulForms(b);
    if (formsA.length === 0 || formsB.length === 0) return undefined;
    const canonicalA = resolve(formsA);
    const canonicalB = resolve(formsB);
    const result = (score: number, kind: BrandMatchKind, summary: string): FieldSimilarity<BrandEvidence> => ({
      score,
      evidence: { summary, kind, a, b, canonicalA, canonicalB },
    });

    if (canonicalA.length > 0 && canonicalB.length > 0) {
      const shared = canonicalA.find((c) => canonicalB.includes(c));
      if (shared !== undefined) {
        const same = formsA[0] === formsB[0];
        return result(1, same ? 'exact' : 'alias', same ? `same brand ${shared}` : `${a} ≡ ${b} (alias of ${shared})`);
      }
      for (const x of canonicalA) {
        for (const y of canonicalB) {
          const px = parentOf.get(x);
          const py = parentOf.get(y);
          if (px === y || py === x || (px !== undefined && px === py)) {
            return result(opts.subBrandScore, 'sub-brand', `${x} and ${y} are one brand family`);
          }
        }
      }
      return result(0, 'different', `different brands ${canonicalA.join('/')} vs ${canonicalB.join('/')}`);
    }

    // At least one side is unknown to the table: compare spellings of every form.
    const keysA = [...formsA, ...canonicalA.map(brandKey)];
    const keysB = [...formsB, ...canonicalB.map(brandKey)];
    let bestSpelling = 0;
    let contained = false;
    for (const x of keysA) {
      for (const y of keysB) {
        if (x === y) return result(1, 'exact', `same brand ${x}`);
        const s = editSimilarity(x, y);
        if (s > bestSpelling && Math.min(x.length, y.length) >= 4) bestSpelling = s;
        if (Math.min(x.length, y.length) >= 3 && (x.includes(y) || y.includes(x))) contained = true;
      }
    }
    const pinyin = pinyinMatch(keysA, keysB) ?? pinyinMatch(keysB, keysA);
    if (pinyin) return result(1, 'pinyin', `${pinyin.han} ≡ ${pinyin.latin} (pinyin)`);
    if (bestSpelling >= opts.minSpellingSimilarity) {
      return result(bestSpelling, 'similar-spelling', `brands spelled alike (${round(bestSpelling, 2)})`);
    }
    if (contained) return result(opts.containmentScore, 'containment', `one brand name contains the other`);
    return result(0, 'different', `different brands ${formsA[0]} vs ${formsB[0]}`);
  }
}

/**
 * A Han form whose pinyin, or the pinyin of its first two characters or more, is a Latin form of the
 * other brand (富安娜 / FUANNA, 罗莱家纺 / LUOLAI: the name before 家纺). Only names of at least 4
 * Latin letters, so two-syllable coincidences of short codes do not count.
 */
function pinyinMatch(hanKeys: readonly string[], latinKeys: readonly string[]): { han: string; latin: string } | undefined {
  const latin = latinKeys.filter((k) => k.length >= 4 && /^[a-z]+$/u.test(k));
  if (latin.length === 0) return undefined;
  for (const k of hanKeys) {
    if (!/^\p{Script=Han}{2,8}$/u.test(k)) continue;
    for (let end = k.length; end >= 2; end--) {
      const han = k.slice(0, end);
      const found = latin.find((l) => pinyinSpellings(han).includes(l));
      if (found) return { han, latin: found };
    }
  }
  return undefined;
}

/**
 * Token → canonical brand id for tokens the alias table knows (`苹果` → `apple`, `huawei` → `huawei`),
 * other tokens unchanged: lets lexical title similarity see that `苹果 iPhone` and `Apple iPhone`
 * share a word. Built on the same table as brand similarity.
 */
export function createBrandTokenCanonicalizer(options: Pick<Partial<BrandSimilarityOptions>, 'aliases' | 'useBuiltInAliases'> = {}): (token: string) => string {
  const table = [...((options.useBuiltInAliases ?? true) ? builtInBrandAliases() : []), ...(options.aliases ?? [])];
  const byKey = new Map<string, string>();
  for (const entry of table) {
    for (const form of [entry.canonical, ...entry.forms]) {
      const k = brandKey(form);
      // Very short Latin forms (`mi`, `ua`, `nb`) are too ambiguous inside titles.
      if (k.length === 0 || (/^[a-z0-9]+$/u.test(k) && k.length < 3)) continue;
      if (!byKey.has(k)) byKey.set(k, entry.canonical);
    }
  }
  return (token) => byKey.get(token) ?? byKey.get(brandKey(token)) ?? token;
}

/**
 * When only one product names its brand: is that brand (or an alias of it) a word, or two
 * adjacent words, of the other product's title? Found → 1 with evidence `in-title`; not found →
 * `undefined`, because a title that does not repeat the brand says nothing against it.
 */
export function brandInTitle(
  brand: string | undefined,
  titleTokens: readonly string[],
  canonicalize: (token: string) => string,
  side: 'a' | 'b',
): FieldSimilarity<BrandEvidence> | undefined {
  if (brand === undefined) return undefined;
  const forms = meaningfulForms(brand).filter((k) => k.length >= 2);
  if (forms.length === 0) return undefined;
  const wanted = new Set([...forms, ...forms.map(canonicalize)]);
  const keys = titleTokens.map(brandKey);
  const candidates = [...keys, ...keys.slice(1).map((k, i) => keys[i] + k)];
  const found = candidates.find((k) => k.length >= 2 && (wanted.has(k) || wanted.has(canonicalize(k))));
  if (found === undefined) return undefined;
  const canonical = canonicalize(found);
  return {
    score: 1,
    evidence: {
      summary: `brand ${brand} found in the other title (${found})`,
      kind: 'in-title',
      a: side === 'a' ? brand : found,
      b: side === 'b' ? brand : found,
      canonicalA: [canonical],
      canonicalB: [canonical],
    },
  };
}

let defaultBrandSimilarity: BrandSimilarityFn | undefined;

/** Brand similarity with the built-in alias table and default options. */
export function brandSimilarity(a: string | undefined, b: string | undefined): FieldSimilarity<BrandEvidence> | undefined {
  defaultBrandSimilarity ??= createBrandSimilarity();
  return defaultBrandSimilarity(a, b);
}
