import type { Quantity } from './analyzer.ts';

/**
 * Numbers with units in product titles, in English and Chinese. A title says 500ml, 500 ML,
 * 500毫升 or 0.5L for the same bottle; matching and search need one spelling, so every alias maps
 * to one canonical unit (and, for aliases like 万像素 or 斤, a factor). Magnitudes are not changed
 * between units of one family (2tb stays 2 tb); `toBaseUnit` does that when a comparison needs it.
 */

interface UnitAlias {
  /** Canonical unit. */
  unit: string;
  /** Multiply the written number by this to get the value in `unit` (1200万像素 → 12 mp). */
  factor: number;
}

/** Canonical unit → its spellings. Latin spellings are lower case (text is case-folded first). */
const UNIT_SPELLINGS: readonly (readonly [unit: string, factor: number, spellings: readonly string[]])[] = [
  // storage and bandwidth
  ['kb', 1, ['kb']],
  // go / to are French (gigaoctet, téraoctet); mo, French for megabyte, is read in parseQuantity
  ['mb', 1, ['mb', 'mbyte', 'mbytes']],
  ['gb', 1, ['gb', 'gbyte', 'gbytes', 'gig', 'gigs', 'gigabyte', 'gigabytes', 'go']],
  ['tb', 1, ['tb', 'tbyte', 'terabyte', 'terabytes', 'to']],
  ['mbps', 1, ['mbps', 'mb/s']],
  ['gbps', 1, ['gbps', 'gb/s']],
  // camera
  ['mp', 1, ['mp', 'mpx', 'megapixel', 'megapixels', 'mega pixel', 'mega pixels', '百万像素']],
  ['mp', 0.01, ['万像素']],
  // volume
  ['ml', 1, ['ml', 'milliliter', 'milliliters', 'millilitre', 'millilitres', '毫升']],
  ['l', 1, ['l', 'ltr', 'liter', 'liters', 'litre', 'litres', '升', '公升']],
  ['floz', 1, ['fl oz', 'fl. oz', 'floz']],
  // mass; 斤 is the market jin, exactly 500 g
  ['g', 1, ['g', 'gram', 'grams', 'gr', '克']],
  ['kg', 1, ['kg', 'kgs', 'kilogram', 'kilograms', '千克', '公斤']],
  ['kg', 0.5, ['斤']],
  ['lb', 1, ['lb', 'lbs', 'pound', 'pounds']],
  ['oz', 1, ['oz', 'ounce', 'ounces']],
  // electricity
  ['mah', 1, ['mah', '毫安', '毫安时']],
  ['wh', 1, ['wh']],
  ['w', 1, ['w', 'watt', 'watts', '瓦']],
  ['kw', 1, ['kw', 'kilowatt', 'kilowatts', '千瓦']],
  ['v', 1, ['v', 'volt', 'volts', '伏']],
  ['va', 1, ['va']],
  ['kva', 1, ['kva']],
  ['a', 1, ['amp', 'amps', 'ampere', 'amperes']],
  ['hz', 1, ['hz', 'hertz', '赫兹']],
  ['khz', 1, ['khz']],
  ['mhz', 1, ['mhz']],
  ['ghz', 1, ['ghz']],
  // 匹 is the air-conditioner "horsepower" class (1.5匹 ≈ 3.5 kW of cooling)
  ['hp', 1, ['hp', '匹']],
  ['rpm', 1, ['rpm']],
  // length; 寸 on a TV or screen means inch, 公分 is cm
  ['mm', 1, ['mm', 'millimeter', 'millimeters', 'millimetre', 'millimetres', '毫米']],
  ['cm', 1, ['cm', 'centimeter', 'centimeters', 'centimetre', 'centimetres', '厘米', '公分']],
  ['m', 1, ['m', 'meter', 'meters', 'metre', 'metres', '米']],
  ['km', 1, ['km', '公里']],
  ['inch', 1, ['"', "''", 'inch', 'inches', 'in', '英寸', '寸']],
  ['ft', 1, ['ft', 'feet', 'foot']],
  // durations (warranties, subscriptions); 年 is left out, 2020年 is a year, not 2020 years
  ['month', 1, ['mo', 'mos', 'month', 'months', '个月']],
  ['year', 1, ['yr', 'yrs', 'year', 'years']],
  // counts: pieces, packs, pairs (a 2-pack is a different listing from a single item)
  ['pcs', 1, ['pcs', 'pc', 'piece', 'pieces', '个', '件', '片', '只', '支', '粒', '枚']],
  ['pack', 1, ['pack', 'packs', 'pk', '瓶', '盒', '袋', '包', '罐', '箱']],
  ['pair', 1, ['pair', 'pairs', '双']],
];

const UNIT_BY_SPELLING: ReadonlyMap<string, UnitAlias> = new Map(
  UNIT_SPELLINGS.flatMap(([unit, factor, spellings]) => spellings.map((s) => [s, { unit, factor }] as const)),
);

/**
 * Han units that start common words when a number precedes them: 3个月 (months), 2升级 (upgrade),
 * 米色 (beige), 克拉 (carat), 包邮 (free shipping), 支持 (supports), 双人 (double bed)…
 */
const HAN_UNIT_NOT_BEFORE: Readonly<Record<string, string>> = {
  个: '月|人|性',
  升: '级|降|华',
  米: '色|饭|粉|白|黄|奇|兰',
  克: '拉|隆|力|斯',
  包: '邮|臀|装|括|裹',
  支: '持|架',
  双: '人|层|面|色|肩|开|排|卡',
  只: '要|是|能',
  片: '场',
  寸: '照',
};

/**
 * Latin units that are also English words, and what may not follow them for the unit reading: "to"
 * (téraoctet) is the English word when a word, a number, a price or a signed number comes next
 * (1 to 16 bays, USB 3 to USB-C, $100 to $500, +25 to -15), and a unit when the title ends or
 * punctuation follows (Disque dur 2 To - Noir, 4 To, expédition sous 24h).
 */
const LATIN_UNIT_NOT_BEFORE: Readonly<Record<string, string>> = {
  to: String.raw`\s*(?:[\p{L}\p{N}\p{Sc}]|[-+]\d)`,
};

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const IS_HAN = /\p{Script=Han}/u;

function unitAlternation(): string {
  const spellings = [...UNIT_BY_SPELLING.keys()].sort((a, b) => b.length - a.length);
  return spellings
    .map((s) => {
      if (IS_HAN.test(s)) {
        const not = HAN_UNIT_NOT_BEFORE[s];
        return not ? `${escapeRegExp(s)}(?!${not})` : escapeRegExp(s);
      }
      // A Latin unit must end the word: 16gb, but not 16gbx, the 46v of kdl-46v5100 or the 79g of
      // the part number 79g-00007.
      const notBefore = LATIN_UNIT_NOT_BEFORE[s];
      const wordEnd = notBefore ? `(?![a-z0-9]|-[a-z0-9]|${notBefore})` : '(?![a-z0-9]|-[a-z0-9])';
      return /[a-z]$/.test(s) ? `${escapeRegExp(s)}${wordEnd}` : escapeRegExp(s);
    })
    .join('|');
}

/** Thousands with commas (1,000) or a plain or decimal number (7.2). */
const NUMBER_SOURCE = String.raw`\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?`;

/**
 * Regex source (two capture groups: number, unit) for a quantity inside a longer text.
 * The number may not continue a word or another number (a2849, 1.2.3, kdl-46v), except after
 * `2x` (2x500ml, a pack of two). Between number and unit: nothing, one space, or a hyphen
 * (375-watt, 12-inch). The leading (?=\d) makes the usual case (no digit here) fail before the
 * look-behinds run.
 */
export const QUANTITY_SOURCE =
  String.raw`(?=\d)(?<![\p{N}.,_\-])(?<![a-wyz\u00df-\u00f6\u00f8-\u024f])(?<!(?<!\d)x)(${NUMBER_SOURCE})(?:\s|-)?(${unitAlternation()})`;

const QUANTITY_TOKEN = new RegExp(String.raw`^(${NUMBER_SOURCE})-?(${unitAlternation()})$`, 'u');
const QUANTITY_GLOBAL = new RegExp(QUANTITY_SOURCE, 'gu');

const LONE_LETTER_UNITS = new Set(['l', 'm', 'g']);
/** Whole powers of two that phone and memory titles write with a bare g (8g+256g, 128g). */
const STORAGE_SIZES_WRITTEN_AS_G = new Set([8, 16, 32, 64, 128, 256, 512, 1024]);
/**
 * "mo" is French for megabyte and English for month. Cache and memory sizes are powers of two of at
 * least this (64 Mo, 256 Mo); warranties, subscriptions and baby sizes run 1–24 months (12 mo, 18 mo).
 */
const SMALLEST_MEGABYTES_AS_MO = 32;
/** 3g/4g/5g right after nothing else is a mobile network generation, not grams. */
const NETWORK_GENERATIONS = new Set(['3g', '4g', '5g']);

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * Canonical quantity from a number and a unit as written, or undefined when the pair is not a
 * quantity after all. `g` alone is ambiguous in Chinese titles: 5g手机 is the network and
 * 128g is storage (grams of that round size are rare in titles), so those are not grams.
 */
export function parseQuantity(numberText: string, unitText: string, raw: string): Quantity | undefined {
  const spelling = unitText.replace(/\s+/g, ' ');
  const alias = UNIT_BY_SPELLING.get(spelling);
  if (!alias) return undefined;
  const written = Number(numberText.replace(/,/g, ''));
  if (!Number.isFinite(written)) return undefined;
  let unit = alias.unit;
  const glued = raw.length === numberText.length + spelling.length;
  // "in" is an inch only glued to the number (2.5in); "fits 15 in a bag" is not.
  if (spelling === 'in' && !glued) return undefined;
  if (spelling === 'mo' && isPowerOfTwo(written) && written >= SMALLEST_MEGABYTES_AS_MO) unit = 'mb';
  if (spelling === 'g' && glued) {
    if (NETWORK_GENERATIONS.has(raw)) return undefined;
    if (STORAGE_SIZES_WRITTEN_AS_G.has(written)) unit = 'gb';
  }
  // Catalyst 2960L-style names: a single-letter unit glued to a 4+ digit whole number is a model
  // name far more often than 2960 litres.
  if (unit === alias.unit && LONE_LETTER_UNITS.has(spelling) && glued && /^\d{4,}$/.test(numberText)) return undefined;
  return { value: round(written * alias.factor), unit, raw };
}

/** A whole token that is a quantity (`16gb`, `375-watt`, `500毫升`), else undefined. */
export function parseQuantityToken(token: string): Quantity | undefined {
  const m = QUANTITY_TOKEN.exec(token);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  return parseQuantity(m[1], m[2], token);
}

/** 210x297mm, 13x18cm, 8x4.5x0.2in: two or three numbers joined by x, one unit after the last. */
const DIMENSION_WITH_UNIT = /^(\d+(?:\.\d+)?(?:x\d+(?:\.\d+)?){1,2})([a-z]+)$/;
/**
 * Canonical units that make `a x b` a size rather than a count of packs: 2x500ml is two bottles,
 * but 210x297mm is one A4 sheet and 13x18cm one photo, not 210 or 13 packs.
 */
const LENGTH_UNITS: ReadonlySet<string> = new Set(['mm', 'cm', 'm', 'inch', 'ft']);

/**
 * The lengths of a whole token that is a size `a x b unit` (210x297mm → 210 mm, 297 mm), or undefined
 * when it is not one or its unit is no length (2x500ml is a multipack).
 */
export function parseDimension(token: string): Quantity[] | undefined {
  const m = DIMENSION_WITH_UNIT.exec(token);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const unit = m[2];
  const lengths = m[1].split('x').map((n) => parseQuantityToken(`${n}${unit}`));
  if (lengths.some((q) => q === undefined || !LENGTH_UNITS.has(q.unit))) return undefined;
  return lengths.map((q) => ({ ...q!, raw: token }));
}

/**
 * A DDR generation with its speed (ddr4-3000, ddr3l-1600, lpddr4x-4266, ddr43000): the speed is in MT/s,
 * but sellers write the same figure as "3000MHz", so it is read as MHz and both spellings compare.
 * Glued without a hyphen only with four digits: ddr3200 is not ddr3 at 200.
 */
const MEMORY_GENERATION_WITH_SPEED = /^((?:lp)?ddr[1-5][lx]?)(?:-(\d{3,4})|(\d{4}))$/;
/** A DDR generation word alone (ddr4, ddr3l, lpddr5x), which a bare speed may follow (DDR4 3000). */
const MEMORY_GENERATION = /^(?:lp)?ddr[1-5][lx]?$/;
/** A bare speed as titles write it after the generation: a whole number of 3–4 digits (DDR4 3000, not 3.5 or 16). */
const BARE_MEMORY_SPEED = /^\d{3,4}$/;
/** Slowest and fastest DDR speed in MT/s (DDR-200 to DDR5-8800 and a margin): a number outside is no speed. */
const MEMORY_SPEED_RANGE = { min: 200, max: 9999 } as const;

function memorySpeed(numberText: string, raw: string): Quantity | undefined {
  const value = Number(numberText);
  return value >= MEMORY_SPEED_RANGE.min && value <= MEMORY_SPEED_RANGE.max ? { value, unit: 'mhz', raw } : undefined;
}

/** The generation and speed of a whole token like ddr4-3000 (→ ddr4, 3000 MHz), or undefined. */
export function parseMemoryGenerationSpeed(token: string): { generation: string; speed: Quantity } | undefined {
  const m = MEMORY_GENERATION_WITH_SPEED.exec(token);
  if (!m || m[1] === undefined) return undefined;
  const speed = memorySpeed(m[2] ?? m[3] ?? '', token);
  return speed ? { generation: m[1], speed } : undefined;
}

/** The speed a bare number gives right after a DDR generation word (DDR4 3000 → 3000 MHz), or undefined. */
export function memorySpeedAfter(previousToken: string | undefined, numberText: string): Quantity | undefined {
  if (previousToken === undefined || !MEMORY_GENERATION.test(previousToken) || !BARE_MEMORY_SPEED.test(numberText)) return undefined;
  return memorySpeed(numberText, numberText);
}

/** All quantities in a normalised text (lower case, NFKC), in order. */
export function extractQuantities(normalized: string): Quantity[] {
  const out: Quantity[] = [];
  QUANTITY_GLOBAL.lastIndex = 0;
  for (let m = QUANTITY_GLOBAL.exec(normalized); m !== null; m = QUANTITY_GLOBAL.exec(normalized)) {
    const q = parseQuantity(m[1] ?? '', m[2] ?? '', m[0]);
    if (q) out.push(q);
  }
  return out;
}

/** The token a quantity becomes in `tokens`, the same for every spelling: 500毫升 and 500 ML → `500ml`. */
export function quantityToken(q: Quantity): string {
  return `${q.value}${q.unit}`;
}

/**
 * Base unit of each family, to compare 0.5l with 500ml or 2tb with 2000gb. Storage uses the
 * decimal factors drive makers print; oz is taken as mass (fl oz has its own unit).
 */
const BASE_UNITS: Readonly<Record<string, readonly [base: string, factor: number]>> = {
  kb: ['gb', 1e-6], mb: ['gb', 1e-3], gb: ['gb', 1], tb: ['gb', 1000],
  mbps: ['mbps', 1], gbps: ['mbps', 1000],
  ml: ['ml', 1], l: ['ml', 1000], floz: ['ml', 29.5735],
  g: ['g', 1], kg: ['g', 1000], lb: ['g', 453.592], oz: ['g', 28.3495],
  w: ['w', 1], kw: ['w', 1000],
  hz: ['hz', 1], khz: ['hz', 1e3], mhz: ['hz', 1e6], ghz: ['hz', 1e9],
  mm: ['mm', 1], cm: ['mm', 10], m: ['mm', 1000], km: ['mm', 1e6], inch: ['mm', 25.4], ft: ['mm', 304.8],
};

/** The quantity in its family's base unit (`{1.5, 'l'}` → `{1500, 'ml'}`); other units unchanged. */
export function toBaseUnit(q: Pick<Quantity, 'value' | 'unit'>): { value: number; unit: string } {
  const base = BASE_UNITS[q.unit];
  return base ? { value: round(q.value * base[1]), unit: base[0] } : { value: q.value, unit: q.unit };
}
