/**
 * Two brand fields that name different makers: negative evidence for brands never seen. The alias
 * table (`data/brand-aliases.json`) knows a few hundred brands; a user's catalog names thousands
 * (MERCURY and FUANNA bedding in the sample catalog). Brand similarity already scores such a pair 0
 * (`different`); this module decides when that is a reason against sameness rather than the same
 * maker written another way or a noisy field. It is not, when:
 * - the brand similarity finds them alike at all: equal after normalisation (case, punctuation,
 *   spacing, company and shop suffixes: Inc, Corp, Ltd, 有限公司, 旗舰店, 官方…), an alias or a
 *   sub-brand in the table, one the pinyin of the other, spelled alike, or one containing the other
 *   (`sony` / `sonyelectronics`);
 * - they share a name word (`Apple Computer` / `Apple Software`, `Sony Pictures Home Entertainment` /
 *   `Sony Pictures Digital`) other than a word companies add (software, electronics, 服饰…), or two
 *   Han characters (哥弟阿玛施 / 新颖哥弟特: shops' variants of one name);
 * - one is the initials of the other (`Hewlett Packard` / `HP`);
 * - they are written in different scripts only: the pinyin is read by brand similarity (富安娜 /
 *   FUANNA), but a Chinese brand's Latin name is as often a translation or a coined word (水星 /
 *   MERCURY, 七匹狼 / SEPTWOLVES), so two scripts say nothing against;
 * - either brand (a name word of it) is in the other product's title: the field then holds a shop's,
 *   distributor's or publisher's name and the title names the maker (Amazon-Google: `dantz` / `emc`
 *   for one EMC Retrospect box; WDC Products: `QBP` / `SRAM`);
 * - a value is not a name (a URL, digits only).
 */
import type { ProductRepresentation } from './representation.ts';
import { brandKey, brandSimilarity, builtInBrandAliases, normalizeBrand, PLACEHOLDER_BRAND_KEYS } from './field-similarities/brand.ts';
import { memoizeString } from './field-similarities/types.ts';

/** The two brands' names as a conflict shows them (`mercury` / `fuanna`). */
export interface BrandConflict {
  a: string[];
  b: string[];
  /** `known`: both in the alias table (Sony / Bose); `unknown`: at least one never seen. */
  known: boolean;
}

/**
 * Words companies add to their names, shared by unrelated makers (`Nova Development` / `Sierra
 * Development`): sharing one of them is no sign of one maker.
 */
const COMPANY_WORDS: ReadonlySet<string> = new Set(
  (
    'software systems system technology technologies tech electronics electronic entertainment media digital interactive international ' +
    'group products product publishing publishers computer computers distribution development home studio studios labs lab network networks ' +
    'solutions communications industries industry company enterprises brands brand games music pictures creative global america usa europe ' +
    'corporation incorporated limited the and des der und'
  ).split(' '),
);
const HAN = /\p{Script=Han}/u;
/** Han words shops add to a brand (服饰, 鞋类): two characters of them shared mean nothing. */
const HAN_COMPANY_WORDS = ['服饰', '服装', '鞋类', '鞋业', '家纺', '家居', '电器', '科技', '数码', '男装', '女装', '童装', '国际'];

interface BrandNames {
  /** Comparison keys of every form (`mercury`, `富安娜`), the alias table's forms included for known brands. */
  keys: string[];
  /** Latin name words of at least 3 characters, without company words (`sony`, `pictures` dropped). */
  words: string[];
  /** Runs of Han characters with company words removed (`涛临（服饰）` → 涛临). */
  han: string[];
  /** Initials of a Latin name of two or more words (`hewlett packard` → `hp`). */
  initials: string[];
}

let aliasForms: Map<string, string[]> | undefined;

/** Forms of a canonical brand in the alias table (apple → apple, 苹果…), for known brands. */
function formsOfCanonical(canonical: string): string[] {
  if (!aliasForms) {
    aliasForms = new Map();
    for (const entry of builtInBrandAliases()) aliasForms.set(entry.canonical, [entry.canonical, ...entry.forms]);
  }
  return aliasForms.get(canonical) ?? [canonical];
}

const namesOf = memoizeString((brand: string): BrandNames => {
  const normalized = normalizeBrand(brand);
  const latinWords = normalized.match(/[a-z0-9]+/gu) ?? [];
  const words = latinWords.filter((w) => w.length >= 3 && /[a-z]/u.test(w) && !COMPANY_WORDS.has(w));
  const nameWords = latinWords.filter((w) => /[a-z]/u.test(w) && !COMPANY_WORDS.has(w));
  let hanText = normalized;
  for (const w of HAN_COMPANY_WORDS) hanText = hanText.replaceAll(w, ' ');
  const han = (hanText.match(/\p{Script=Han}+/gu) ?? []).filter((r) => r.length >= 2);
  const parts = normalized.split(/[/|()（）[\]【】、,，]+/u).map(brandKey);
  const keys = [...new Set([brandKey(brand), ...parts].filter((k) => k.length > 0 && !PLACEHOLDER_BRAND_KEYS.has(k)))];
  return { keys, words, han, initials: nameWords.length >= 2 ? [nameWords.map((w) => w[0]).join('')] : [] };
});

/** Not a maker's name: a URL, or no letter at all (`150`, `-`). */
function notAName(brand: string): boolean {
  return /https?:|www\.|\.(com|net|org)\b/iu.test(brand) || !/\p{L}/u.test(brand);
}

const isLatinKey = (k: string) => /^[a-z0-9]+$/u.test(k) && /[a-z]/u.test(k);

function sharesName(x: BrandNames, y: BrandNames): boolean {
  if (x.words.some((w) => y.words.includes(w))) return true;
  const yKeys = new Set(y.keys);
  if (x.initials.some((i) => i.length >= 2 && yKeys.has(i)) || y.initials.some((i) => i.length >= 2 && x.keys.includes(i))) return true;
  // Two Han characters in a row shared (哥弟 in 新颖哥弟特 and 哥弟阿玛施正).
  for (const rx of x.han) for (let i = 0; i + 2 <= rx.length; i++) if (y.han.some((ry) => ry.includes(rx.slice(i, i + 2)))) return true;
  return false;
}

/** Both brands have a form in one script (Latin and Latin, or Han and Han). */
function shareAScript(x: readonly string[], y: readonly string[]): boolean {
  return (x.some(isLatinKey) && y.some(isLatinKey)) || (x.some((k) => HAN.test(k)) && y.some((k) => HAN.test(k)));
}

/** A name word, Han run (or three of its characters) or whole key of the brand in the title (tokens, or the title without spaces). */
function namedInTitle(names: BrandNames, title: ProductRepresentation['text']['title']): boolean {
  const tokens = new Set(title.tokens);
  const compact = brandKey(title.normalized);
  if (names.words.some((w) => tokens.has(w) || (w.length >= 4 && compact.includes(w)))) return true;
  // A Han name, or three characters of it in a row (张凯丽足力健: a celebrity's name before the brand 足力健).
  if (names.han.some((r) => compact.includes(r) || [...r].some((_, i) => i + 3 <= r.length && compact.includes(r.slice(i, i + 3))))) return true;
  return names.keys.some((k) => (isLatinKey(k) ? k.length >= 3 : k.length >= 2) && compact.includes(k));
}

/**
 * The brands of two products when their brand fields name different makers (see the module comment
 * for when they do not); `undefined` when either field is missing or a placeholder, or they may be
 * one maker. Brand fields only: a title also names the brands an accessory fits (`适用 iPhone`).
 */
export function brandFieldConflict(a: ProductRepresentation, b: ProductRepresentation): BrandConflict | undefined {
  const brandA = a.product.brand;
  const brandB = b.product.brand;
  const e = brandSimilarity(brandA, brandB)?.evidence;
  if (!e || e.kind !== 'different' || brandA === undefined || brandB === undefined) return undefined;
  // Both in the table and not of one family (Sony / Bose): the table says so.
  if (e.canonicalA.length > 0 && e.canonicalB.length > 0) return { a: [...e.canonicalA], b: [...e.canonicalB], known: true };
  if (notAName(brandA) || notAName(brandB)) return undefined;
  const namesA = namesOf(brandA);
  const namesB = namesOf(brandB);
  const keysA = [...namesA.keys, ...e.canonicalA.flatMap(formsOfCanonical).map(brandKey)];
  const keysB = [...namesB.keys, ...e.canonicalB.flatMap(formsOfCanonical).map(brandKey)];
  if (!shareAScript(keysA, keysB) || sharesName(namesA, namesB)) return undefined;
  if (namedInTitle(namesA, b.text.title) || namedInTitle(namesB, a.text.title)) return undefined;
  return { a: [e.canonicalA[0] ?? namesA.keys[0]!], b: [e.canonicalB[0] ?? namesB.keys[0]!], known: false };
}
