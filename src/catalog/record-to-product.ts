/**
 * Turns one raw record (a CSV row as column → text, or a parsed JSON object) into a `Product`.
 * Field mapping first, then a zod schema whose fields coerce the many ways real catalogs write
 * the same thing (`¥1,299.00`, `a|b;c`, `有货`…). Every problem names the field, what was expected
 * and what was there, so an issue can point a person at the cell to fix.
 */
import * as z from 'zod';
import currencyCodes from 'currency-codes';
import { PRODUCT_FIELDS, PRODUCT_LIMITS, categoryLevels, type Product, type ProductField } from './product.ts';
import type { FieldMapping } from './catalog.ts';

/** One field that failed: `field` is the Product field, `source` the column/key it was read from. */
export interface FieldProblem {
  field: ProductField;
  source?: string;
  expected: string;
  received: string;
  message: string;
}

export type RecordConversion =
  | { ok: true; product: Product }
  | { ok: false; id?: string; problems: FieldProblem[] };

type Coerced<T> = { ok: true; value: T | undefined } | { ok: false; expected: string };

const ok = <T>(value: T | undefined): Coerced<T> => ({ ok: true, value });
const fail = (expected: string): Coerced<never> => ({ ok: false, expected });

/** Null, undefined and blank strings all mean "not given". */
function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** A short, printable description of a received value for issue messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}…` : value;
    return JSON.stringify(shown) + (value.length > 60 ? ` (${value.length} chars)` : '');
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  return typeof value === 'object' ? 'object' : typeof value;
}

// ---------------------------------------------------------------- scalar text fields

/** Free text: trimmed, CRLF → LF (descriptions keep their line breaks). */
function coerceText(value: unknown): Coerced<string> {
  if (isBlank(value)) return ok(undefined);
  if (typeof value === 'string') {
    const text = value.trim();
    return ok(text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text);
  }
  if (typeof value === 'number' && Number.isFinite(value)) return ok(String(value));
  return fail('text');
}

/** Ids are compared as strings everywhere; a numeric id `1001` becomes `"1001"`. */
export function coerceId(value: unknown): Coerced<string> {
  if (isBlank(value)) return ok(undefined);
  if (typeof value === 'string') return ok(value.trim());
  if (typeof value === 'number' && Number.isFinite(value)) return ok(String(value));
  if (typeof value === 'bigint') return ok(value.toString());
  return fail('a string or number id');
}

/** `服装 > 女装 > 连衣裙`, `服装|女装`, `['服装','女装']` → `服装/女装/连衣裙`. */
export function normalizeCategory(value: unknown): Coerced<string> {
  if (isBlank(value)) return ok(undefined);
  let levels: string[];
  if (typeof value === 'string') levels = categoryLevels(value);
  else if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    levels = value.flatMap((v) => categoryLevels(String(v)));
  } else return fail('a category path like "服装/女装/连衣裙"');
  return ok(levels.length > 0 ? levels.join('/') : undefined);
}

// ---------------------------------------------------------------- lists

function uniqueNonEmpty(items: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (item.length > 0 && !seen.has(item)) {
      seen.add(item);
      out.push(item);
    }
  }
  return out;
}

/** A JSON array written inside a text cell (`["a","b"]`), or undefined when it is not one. */
function jsonArrayInText(text: string): unknown[] | undefined {
  const t = text.trim();
  if (!t.startsWith('[') || !t.endsWith(']')) return undefined;
  try {
    const parsed: unknown = JSON.parse(t);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    // Expected failure as a value: text that looks like a JSON list but is not one is read as plain text.
    return undefined;
  }
}

function listFromArray(items: unknown[], expected: string): Coerced<string[]> {
  const out: string[] = [];
  for (const item of items) {
    if (isBlank(item)) continue;
    if (typeof item === 'string') out.push(item);
    else if (typeof item === 'number' && Number.isFinite(item)) out.push(String(item));
    else return fail(expected);
  }
  return ok(uniqueNonEmpty(out));
}

const TAGS_EXPECTED = 'a list of tags (array, or text split by | ; , 、)';

/** Tags as an array or as text split on any of `| ; , ，；、` and new lines: `a|b;c,d` → [a, b, c, d]. */
export function parseTags(value: unknown): Coerced<string[]> {
  if (isBlank(value)) return ok([]);
  if (Array.isArray(value)) return listFromArray(value, TAGS_EXPECTED);
  if (typeof value !== 'string') return fail(TAGS_EXPECTED);
  const asJson = jsonArrayInText(value);
  if (asJson) return listFromArray(asJson, TAGS_EXPECTED);
  return ok(uniqueNonEmpty(value.split(/[|;,，；、\n\r]+/)));
}

const IMAGES_EXPECTED = 'a list of image paths or URLs (array, or text split by | ; ,)';

/**
 * Images as an array or text. Text is split on `|`, `;` or new lines when it has any of them, and on
 * commas only otherwise, so a URL with commas inside (`w_64,h_64`) survives when another separator is used.
 */
export function parseImages(value: unknown): Coerced<string[]> {
  if (isBlank(value)) return ok([]);
  if (Array.isArray(value)) return listFromArray(value, IMAGES_EXPECTED);
  if (typeof value !== 'string') return fail(IMAGES_EXPECTED);
  const asJson = jsonArrayInText(value);
  if (asJson) return listFromArray(asJson, IMAGES_EXPECTED);
  const parts = /[|;\n\r]/.test(value) ? value.split(/[|;\n\r]+/) : value.split(',');
  return ok(uniqueNonEmpty(parts));
}

// ---------------------------------------------------------------- attributes

const ATTRIBUTES_EXPECTED = 'attributes as an object, a JSON object string or "key:value;key2:value2"';

function attributeValue(value: unknown): string | undefined | null {
  if (isBlank(value)) return undefined;
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
    return value.map(String).join(', ');
  }
  return null; // not representable as one text value
}

function attributesFromObject(obj: Record<string, unknown>): Coerced<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [rawKey, rawValue] of Object.entries(obj)) {
    const key = rawKey.trim();
    if (key === '') continue;
    if (rawValue !== null && typeof rawValue === 'object' && !Array.isArray(rawValue)) {
      // One level of nesting is common (`{"尺寸": {"长": 10}}`): flatten it to `尺寸.长`.
      for (const [subKey, subValue] of Object.entries(rawValue as Record<string, unknown>)) {
        const v = attributeValue(subValue);
        if (v === null) return fail(ATTRIBUTES_EXPECTED);
        if (v !== undefined) out[`${key}.${subKey.trim()}`] = v;
      }
      continue;
    }
    const v = attributeValue(rawValue);
    if (v === null) return fail(ATTRIBUTES_EXPECTED);
    if (v !== undefined) out[key] = v;
  }
  return ok(out);
}

/**
 * Attributes as an object, a list of `{name, value}` / `[key, value]` pairs, a JSON object string,
 * or `k:v;k2:v2` text (`:`/`：`/`=` between key and value; `;`/`；`/`|`/new line between pairs, or `,` when none of those).
 */
export function parseAttributes(value: unknown): Coerced<Record<string, string>> {
  if (isBlank(value)) return ok({});
  if (Array.isArray(value)) {
    const out: Record<string, string> = {};
    for (const pair of value) {
      let key: unknown;
      let v: unknown;
      if (Array.isArray(pair) && pair.length === 2) [key, v] = pair as [unknown, unknown];
      else if (pair !== null && typeof pair === 'object') {
        const p = pair as Record<string, unknown>;
        key = p['name'] ?? p['key'];
        v = p['value'];
      } else return fail(ATTRIBUTES_EXPECTED);
      const text = attributeValue(v);
      if (typeof key !== 'string' || text === null) return fail(ATTRIBUTES_EXPECTED);
      if (key.trim() !== '' && text !== undefined) out[key.trim()] = text;
    }
    return ok(out);
  }
  if (typeof value === 'object' && value !== null) return attributesFromObject(value as Record<string, unknown>);
  if (typeof value !== 'string') return fail(ATTRIBUTES_EXPECTED);
  const text = value.trim();
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return attributesFromObject(parsed as Record<string, unknown>);
      }
    } catch {
      // fall through: reported below
    }
    return fail(ATTRIBUTES_EXPECTED);
  }
  const pairs = /[;；|\n\r]/.test(text) ? text.split(/[;；|\n\r]+/) : text.split(/[,，]/);
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    if (pair.trim() === '') continue;
    const m = /^([^:：=]+)[:：=](.*)$/s.exec(pair);
    if (!m) return fail(ATTRIBUTES_EXPECTED);
    const key = m[1]!.trim();
    const v = m[2]!.trim();
    if (key !== '' && v !== '') out[key] = v;
  }
  return ok(out);
}

// ---------------------------------------------------------------- stock

const IN_STOCK_WORDS = new Map<string, boolean>([
  ...['true', 't', 'yes', 'y', '1', 'in stock', 'instock', 'in_stock', 'available', 'on sale', '有货', '现货', '在售', '有', '是', '充足'].map(
    (w) => [w, true] as const,
  ),
  ...['false', 'f', 'no', 'n', '0', 'out of stock', 'outofstock', 'out_of_stock', 'unavailable', 'sold out', 'soldout', '无货', '缺货', '售罄', '已售罄', '下架', '无', '否', '暂无'].map(
    (w) => [w, false] as const,
  ),
]);

const IN_STOCK_EXPECTED = 'true/false, 1/0, yes/no, 有货/无货/缺货, or a stock count';

/** true/false/1/0/yes/no/有货/无货/缺货…; a stock count (non-negative integer) means in stock when above 0. */
export function parseInStock(value: unknown): Coerced<boolean> {
  if (isBlank(value)) return ok(undefined);
  if (typeof value === 'boolean') return ok(value);
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 ? ok(value > 0) : fail(IN_STOCK_EXPECTED);
  }
  if (typeof value !== 'string') return fail(IN_STOCK_EXPECTED);
  const word = value.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
  const known = IN_STOCK_WORDS.get(word);
  if (known !== undefined) return ok(known);
  if (/^\d+$/.test(word)) return ok(Number(word) > 0);
  return fail(IN_STOCK_EXPECTED);
}

// ---------------------------------------------------------------- money

/** Signs and words for currencies, lower case, as they appear around a price. */
const CURRENCY_WORDS: ReadonlyMap<string, string> = new Map([
  ['¥', 'CNY'], ['￥', 'CNY'], ['cn¥', 'CNY'], ['rmb', 'CNY'], ['cny', 'CNY'], ['元', 'CNY'], ['人民币', 'CNY'], ['块', 'CNY'],
  ['$', 'USD'], ['us$', 'USD'], ['usd', 'USD'], ['美元', 'USD'],
  ['hk$', 'HKD'], ['hkd', 'HKD'], ['港币', 'HKD'], ['港元', 'HKD'],
  ['€', 'EUR'], ['eur', 'EUR'], ['欧元', 'EUR'],
  ['£', 'GBP'], ['gbp', 'GBP'], ['英镑', 'GBP'],
  ['jp¥', 'JPY'], ['jpy', 'JPY'], ['円', 'JPY'], ['日元', 'JPY'],
]);

const CURRENCY_EXPECTED = 'an ISO 4217 code like CNY or USD (or ¥, $, 元, RMB…)';

/** The ISO 4217 list (active codes, from the currency-codes package's copy of the standard). */
const ISO_4217_CODES: ReadonlySet<string> = new Set(currencyCodes.codes());

/** Whether `code` (upper case) is an ISO 4217 currency code. */
export function isIsoCurrencyCode(code: string): boolean {
  return ISO_4217_CODES.has(code);
}

/** `cny`, `RMB`, `人民币`, `¥` → `CNY`; any other three letters are taken as an ISO 4217 code. */
export function parseCurrency(value: unknown): Coerced<string> {
  if (isBlank(value)) return ok(undefined);
  if (typeof value !== 'string') return fail(CURRENCY_EXPECTED);
  const text = value.normalize('NFKC').trim();
  const known = CURRENCY_WORDS.get(text.toLowerCase());
  if (known) return ok(known);
  if (/^[A-Za-z]{3}$/.test(text) && isIsoCurrencyCode(text.toUpperCase())) return ok(text.toUpperCase());
  return fail(CURRENCY_EXPECTED);
}

const PRICE_EXPECTED = 'a non-negative price like 1299, "1,299.00" or "¥1299"';

/** Reads the number part: `1,299.00`, `1 299`, `1.299,00` (European), `1299,5`. */
function parseAmount(text: string): number | undefined {
  let t = text.replace(/[\s\u00a0']/g, '');
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(t)) t = t.replace(/,/g, '');
  else if (/^\d{1,3}(\.\d{3})+,\d{1,2}$/.test(t)) t = t.replace(/\./g, '').replace(',', '.');
  else if (/^\d+,\d{1,2}$/.test(t)) t = t.replace(',', '.');
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A price as a number or text with an optional currency sign or word before or after it:
 * `¥1,299.00` → {price: 1299, currency: CNY}; `$12.99` → USD; `1299` → {price: 1299} (currency from elsewhere).
 * Note `¥` is read as CNY (this is a catalog of Chinese shops); write `JPY`/`円` for yen.
 */
export function parsePrice(value: unknown): Coerced<{ price: number; currency?: string }> {
  if (isBlank(value)) return ok(undefined);
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? ok({ price: value }) : fail(PRICE_EXPECTED);
  if (typeof value !== 'string') return fail(PRICE_EXPECTED);
  const text = value.normalize('NFKC').trim();
  const m = /^(.*?)(-?[\d.,\s\u00a0']*\d[\d.,]*)(.*)$/s.exec(text);
  if (!m) return fail(PRICE_EXPECTED);
  const before = m[1]!.trim().toLowerCase();
  const after = m[3]!.trim().toLowerCase();
  if (m[2]!.trim().startsWith('-')) return fail(PRICE_EXPECTED);
  const amount = parseAmount(m[2]!.trim());
  if (amount === undefined) return fail(PRICE_EXPECTED);
  let currency: string | undefined;
  for (const word of [before, after]) {
    if (word === '') continue;
    const c = CURRENCY_WORDS.get(word) ?? (/^[a-z]{3}$/.test(word) && isIsoCurrencyCode(word.toUpperCase()) ? word.toUpperCase() : undefined);
    if (!c || (currency && currency !== c)) return fail(PRICE_EXPECTED);
    currency = c;
  }
  return ok(currency ? { price: amount, currency } : { price: amount });
}

// ---------------------------------------------------------------- field mapping

/** Other names catalogs use for each field, compared after lower-casing and removing `_`, `-`, spaces. */
export const FIELD_NAME_GUESSES: Readonly<Record<ProductField, readonly string[]>> = {
  id: ['sku', 'skuid', 'productid', 'itemid', 'goodsid', 'offerid', 'pid', '商品id', '商品编号', '编号', '货号'],
  title: ['name', 'productname', 'itemname', 'goodsname', 'producttitle', 'itemtitle', '标题', '商品标题', '商品名称', '名称', '品名'],
  description: ['desc', 'details', 'detail', 'longdescription', 'body', 'summary', '描述', '商品描述', '详情', '简介'],
  tags: ['tag', 'keywords', 'labels', '标签', '关键词'],
  brand: ['brandname', 'manufacturer', 'maker', '品牌', '品牌名称'],
  category: ['categorypath', 'categories', 'cat', 'productcategory', '类目', '分类', '品类'],
  price: ['saleprice', 'currentprice', 'listprice', 'amount', '价格', '售价', '单价'],
  currency: ['currencycode', '币种', '货币'],
  images: ['image', 'imageurl', 'imageurls', 'img', 'imgs', 'pictures', 'picture', 'photos', '图片', '主图'],
  attributes: ['attrs', 'specs', 'specifications', 'properties', 'props', '属性', '规格', '参数'],
  inStock: ['instock', 'available', 'availability', 'stock', 'stockstatus', 'instockstatus', '库存', '库存状态', '是否有货'],
};

const normalizeKey = (key: string): string => key.trim().toLowerCase().replace(/[\s_-]+/g, '');

const GUESS_LOOKUP: ReadonlyMap<string, ProductField> = new Map(
  PRODUCT_FIELDS.flatMap((field) => [[normalizeKey(field), field] as const, ...FIELD_NAME_GUESSES[field].map((g) => [g, field] as const)]),
);

/** Where each product field is read from, resolved once per set of source keys. */
export interface ResolvedMapping {
  /** Product field → source key (a dotted path for nested JSON when the mapping says so). */
  sources: Partial<Record<ProductField, string>>;
  /** Source keys that feed no field. */
  unused: string[];
}

/**
 * Resolves which source key feeds each field: an explicit mapping first, then the field's own name,
 * then (with `guess`) a known other name. A key feeds at most one field.
 */
export function resolveFieldMapping(keys: readonly string[], mapping: FieldMapping, guess: boolean): ResolvedMapping {
  const sources: Partial<Record<ProductField, string>> = {};
  const used = new Set<string>();
  for (const field of PRODUCT_FIELDS) {
    const source = mapping[field];
    if (source !== undefined) {
      sources[field] = source;
      used.add(source);
    }
  }
  for (const field of PRODUCT_FIELDS) {
    if (sources[field] === undefined && keys.includes(field) && !used.has(field)) {
      sources[field] = field;
      used.add(field);
    }
  }
  if (guess) {
    for (const key of keys) {
      if (used.has(key)) continue;
      const field = GUESS_LOOKUP.get(normalizeKey(key));
      if (field && sources[field] === undefined) {
        sources[field] = key;
        used.add(key);
      }
    }
  }
  return { sources, unused: keys.filter((k) => !used.has(k)) };
}

/** Reads `key` from a record; a dotted key (`offer.price`) walks into nested objects when no such flat key exists. */
export function readSourceValue(record: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(record, key)) return record[key];
  if (!key.includes('.')) return undefined;
  let current: unknown = record;
  for (const part of key.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

// ---------------------------------------------------------------- schema

/** A zod field that runs one coercer and reports its expectation as issue params. */
function coercedField<T>(coerce: (v: unknown) => Coerced<T>) {
  return z.unknown().transform((value, ctx): T | undefined => {
    const result = coerce(value);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: `expected ${result.expected}`, params: { expected: result.expected }, input: value });
      return z.NEVER;
    }
    return result.value;
  });
}

/**
 * A U+FFFD in decoded text is where the reader met bytes that are not UTF-8 (the decoder puts one
 * there); a catalog written as UTF-8 has no other reason to carry it, so the record is refused.
 */
const VALID_UTF8_EXPECTED = 'valid UTF-8 text (U+FFFD marks bytes that were not UTF-8)';

/** Why a text breaks its bound (length, UTF-8), or undefined when it is within it. */
function textProblem(text: string, maxLength: number): string | undefined {
  if (text.length > maxLength) return `text of at most ${maxLength} characters`;
  if (text.includes('\uFFFD')) return VALID_UTF8_EXPECTED;
  return undefined;
}

/** A coercer whose accepted values are checked once more (sizes, ranges). */
function bounded<T>(coerce: (v: unknown) => Coerced<T>, check: (value: T) => string | undefined): (v: unknown) => Coerced<T> {
  return (v) => {
    const result = coerce(v);
    if (!result.ok || result.value === undefined) return result;
    const problem = check(result.value);
    return problem === undefined ? result : fail(problem);
  };
}

const textWithin = (maxLength: number) => (text: string) => textProblem(text, maxLength);

function listWithin(items: readonly string[]): string | undefined {
  if (items.length > PRODUCT_LIMITS.maxListItems) return `at most ${PRODUCT_LIMITS.maxListItems} items`;
  for (const item of items) {
    const problem = textProblem(item, PRODUCT_LIMITS.maxShortTextLength);
    if (problem) return `items each of ${problem}`;
  }
  return undefined;
}

function attributesWithin(attributes: Record<string, string>): string | undefined {
  const entries = Object.entries(attributes);
  if (entries.length > PRODUCT_LIMITS.maxListItems) return `at most ${PRODUCT_LIMITS.maxListItems} attributes`;
  for (const [key, value] of entries) {
    const problem = textProblem(key, PRODUCT_LIMITS.maxShortTextLength) ?? textProblem(value, PRODUCT_LIMITS.maxShortTextLength);
    if (problem) return `names and values each of ${problem}`;
  }
  return undefined;
}

const priceWithin = (p: { price: number }) => (p.price > PRODUCT_LIMITS.maxPrice ? `a price of at most ${PRODUCT_LIMITS.maxPrice}` : undefined);

/** One-line text: every run of white space (new lines from a multi-line CSV cell included) becomes one space. */
function coerceLine(value: unknown): Coerced<string> {
  const result = coerceText(value);
  if (!result.ok || result.value === undefined || !/[^\S ]| {2}/.test(result.value)) return result;
  return ok(result.value.replace(/\s+/g, ' '));
}

function requiredText(what: 'id' | 'title') {
  const maxLength = what === 'id' ? PRODUCT_LIMITS.maxIdLength : PRODUCT_LIMITS.maxTitleLength;
  const coerce = bounded(what === 'id' ? coerceId : coerceLine, textWithin(maxLength));
  return z.unknown().transform((value, ctx): string => {
    const result = coerce(value);
    if (!result.ok || result.value === undefined || result.value === '') {
      const expected = result.ok ? `a non-empty ${what}` : result.expected === "text" || result.expected.startsWith("a string") ? `a non-empty ${what} (text)` : result.expected;
      ctx.addIssue({ code: 'custom', message: result.ok ? `missing ${what}` : `expected ${expected}`, params: { expected }, input: value });
      return z.NEVER;
    }
    return result.value;
  });
}

/** The record schema: mapped raw values in, a `Product` out. */
export const productRecordSchema = z
  .object({
    id: requiredText('id'),
    title: requiredText('title'),
    description: coercedField(bounded(coerceText, textWithin(PRODUCT_LIMITS.maxDescriptionLength))),
    tags: coercedField(bounded(parseTags, listWithin)),
    brand: coercedField(bounded(coerceLine, textWithin(PRODUCT_LIMITS.maxShortTextLength))),
    category: coercedField(bounded(normalizeCategory, textWithin(PRODUCT_LIMITS.maxShortTextLength))),
    price: coercedField(bounded(parsePrice, priceWithin)),
    currency: coercedField(parseCurrency),
    images: coercedField(bounded(parseImages, listWithin)),
    attributes: coercedField(bounded(parseAttributes, attributesWithin)),
    inStock: coercedField(parseInStock),
  })
  .superRefine((r, ctx) => {
    if (r.price?.currency && r.currency && r.price.currency !== r.currency) {
      ctx.addIssue({
        code: 'custom',
        path: ['price'],
        message: `the price says ${r.price.currency} but the currency field says ${r.currency}`,
        params: { expected: `a price in ${r.currency}` },
      });
    }
  });

export interface RecordToProductOptions {
  mapping: FieldMapping;
  guessFieldNames: boolean;
  defaultCurrency?: string | undefined;
  extraFieldsAsAttributes: boolean;
}

/**
 * Maps and validates one record. `resolved` lets a caller with a fixed header (CSV) resolve the mapping
 * once; JSON callers pass nothing and the mapping is resolved from the record's own keys (cached by key set).
 */
export function recordToProduct(
  record: Record<string, unknown>,
  options: RecordToProductOptions,
  resolved: ResolvedMapping = resolveCached(record, options),
): RecordConversion {
  const input: Record<string, unknown> = {};
  for (const field of PRODUCT_FIELDS) {
    const source = resolved.sources[field];
    input[field] = source === undefined ? undefined : readSourceValue(record, source);
  }
  const parsed = productRecordSchema.safeParse(input);
  if (!parsed.success) {
    const problems: FieldProblem[] = parsed.error.issues.map((issue) => {
      const field = (issue.path[0] ?? 'id') as ProductField;
      const source = resolved.sources[field];
      const params = (issue as { params?: { expected?: string } }).params;
      const received = describeValue(input[field]);
      const where = source !== undefined && source !== field ? ` (column "${source}")` : '';
      return {
        field,
        ...(source !== undefined ? { source } : {}),
        expected: params?.expected ?? 'a valid value',
        received,
        message: `${field}${where}: ${issue.message}, got ${received}`,
      };
    });
    const id = coerceId(input['id']);
    return { ok: false, ...(id.ok && id.value ? { id: id.value } : {}), problems };
  }
  const r = parsed.data;
  const product: Product = { id: r.id, title: r.title, tags: r.tags ?? [], images: r.images ?? [], attributes: r.attributes ?? {} };
  if (r.description !== undefined) product.description = r.description;
  if (r.brand !== undefined) product.brand = r.brand;
  if (r.category !== undefined) product.category = r.category;
  if (r.price !== undefined) {
    product.price = r.price.price;
    const currency = r.price.currency ?? r.currency ?? options.defaultCurrency;
    if (currency !== undefined) product.currency = currency;
  } else if (r.currency !== undefined) product.currency = r.currency;
  if (r.inStock !== undefined) product.inStock = r.inStock;
  if (options.extraFieldsAsAttributes) {
    for (const key of resolved.unused) {
      const v = attributeValue(record[key]);
      if (typeof v === 'string' && !Object.hasOwn(product.attributes, key)) product.attributes[key] = v;
    }
  }
  return { ok: true, product };
}

// JSON records usually share one key set: resolve it once per distinct set (bounded cache), and
// check the previous record's keys first, which is the common case and needs no allocation.
interface ResolveCache {
  lastKeys: string[];
  last: ResolvedMapping | undefined;
  bySignature: Map<string, ResolvedMapping>;
}
const resolvedCache = new WeakMap<RecordToProductOptions, ResolveCache>();

function sameKeys(record: Record<string, unknown>, keys: readonly string[]): boolean {
  let i = 0;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    if (keys[i] !== key) return false;
    i++;
  }
  return i === keys.length;
}

function resolveCached(record: Record<string, unknown>, options: RecordToProductOptions): ResolvedMapping {
  let cache = resolvedCache.get(options);
  if (!cache) {
    cache = { lastKeys: [], last: undefined, bySignature: new Map() };
    resolvedCache.set(options, cache);
  }
  if (cache.last && sameKeys(record, cache.lastKeys)) return cache.last;
  const keys = Object.keys(record);
  const signature = keys.join('\u0000');
  let resolved = cache.bySignature.get(signature);
  if (!resolved) {
    resolved = resolveFieldMapping(keys, options.mapping, options.guessFieldNames);
    if (cache.bySignature.size >= 256) cache.bySignature.clear();
    cache.bySignature.set(signature, resolved);
  }
  cache.lastKeys = keys;
  cache.last = resolved;
  return resolved;
}
