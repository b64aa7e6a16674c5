/**
 * Model numbers, quantities and plain numbers found in product text, for pair features.
 * The text analyzer (`src/text/text-analyzer.ts`) is the preferred source of model numbers and
 * quantities; this module is the learning stage's own extractor, tuned for the English
 * benchmark catalogs (codes split by spaces or dashes, like `dsc w120` or `am-53bk`), and is
 * used together with the analyzer's output (union) so either source can only add evidence.
 */
import type { Quantity } from '../text/analyzer.ts';
import { parseDimension, parseMemoryGenerationSpeed } from '../text/quantities.ts';

/** Canonical units; aliases map onto them so `16 gig` and `16gb` compare equal. */
const UNIT_ALIASES: Record<string, string> = {
  gb: 'gb', gig: 'gb', gigabyte: 'gb', gigabytes: 'gb', g: 'g',
  tb: 'tb', terabyte: 'tb', mb: 'mb', megabyte: 'mb', kb: 'kb',
  mp: 'mp', megapixel: 'mp', megapixels: 'mp', 'mega pixel': 'mp',
  mah: 'mah', w: 'w', watt: 'w', watts: 'w', v: 'v', volt: 'v', volts: 'v',
  hz: 'hz', khz: 'khz', mhz: 'mhz', ghz: 'ghz',
  mm: 'mm', cm: 'cm', m: 'm', in: 'inch', inch: 'inch', inches: 'inch', '"': 'inch', "''": 'inch', "'": 'inch',
  ft: 'ft', feet: 'ft', kg: 'kg', lb: 'lb', lbs: 'lb', oz: 'oz', ml: 'ml', l: 'l',
  x: 'x', rpm: 'rpm', db: 'db', ms: 'ms', bit: 'bit', mbps: 'mbps', gbps: 'gbps',
  pk: 'pack', pack: 'pack', pc: 'pc', pcs: 'pc', user: 'user', users: 'user',
  p: 'p', k: 'k', cu: 'cu', qt: 'qt', gal: 'gal', btu: 'btu', lumens: 'lm', ohm: 'ohm',
  'cu ft': 'cuft', 'cu. ft': 'cuft', 'cu. ft.': 'cuft', 'cubic feet': 'cuft',
};

const UNIT_PATTERN = Object.keys(UNIT_ALIASES)
  .sort((a, b) => b.length - a.length)
  .map((u) => u.replace(/[.*+?^${}()|[\]\\"']/g, (c) => `\\${c}`))
  .join('|');

const QUANTITY_RE = new RegExp(`(\\d+(?:[.,]\\d+)?)\\s?-?(${UNIT_PATTERN})(?![a-z0-9])`, 'g');

/** Quantities like `8gb`, `7.2 megapixels`, `42"`; canonical unit, numeric value. */
export function extractQuantities(normalized: string): Quantity[] {
  const out: Quantity[] = [];
  for (const m of normalized.matchAll(QUANTITY_RE)) {
    const value = Number(m[1]!.replace(',', '.'));
    const unit = UNIT_ALIASES[m[2]!];
    if (!Number.isFinite(value) || unit === undefined) continue;
    out.push({ value, unit, raw: m[0] });
  }
  return out;
}

/**
 * French byte units (octets): 16go, 1to, 64mo are sizes, not codes. Whole tokens only (the analyser
 * reads their values): spaced, "1 to 16" is English.
 */
const FRENCH_BYTE_UNITS = ['mo', 'go', 'to'];
const QUANTITY_TOKEN = new RegExp(`^\\d+(?:\\.\\d+)?(?:${UNIT_PATTERN}|${FRENCH_BYTE_UNITS.join('|')})$`);
const HAS_LETTER = /[a-z]/;
const HAS_DIGIT = /\d/;

/** Words that look like codes but are not product identifiers (ordinals, formats). */
const NOT_CODES = new Set(['1st', '2nd', '3rd', '4th', '5th', '6th', '7th', '8th', '9th', '10th', 'mp3', 'mp4', 'h264', 'x64', 'x86', 'win32', 'win64', 'ipv6', 'ipv4', 'wpa2', 'cs3', 'cs2', 'cs4', 'usb2', 'usb3', 'ps2', 'ps3', 'rj45', 'rj11', 'ddr2', 'ddr3', 'ddr', '802.11', 'a4', 'i3', 'i5', 'i7', '3d', '2d', 'hd', 'g3', 'g4', 'g5', 'mpeg4', 'dvd', 'cd']);

function canonicalCode(s: string): string {
  return s.replace(/[^a-z0-9]/g, '');
}

/**
 * Model-number candidates: tokens (split on spaces and brackets, keeping `-./`) that mix
 * letters and digits, or digit groups with separators (`52-1029`), not quantities. A short
 * letter prefix followed by a code (`dsc w120`) also yields the joined form `dscw120`.
 */
export function extractModelCodes(normalized: string): string[] {
  const raw = normalized.split(/[\s,;:()[\]{}|"'!?*+#]+/).filter((t) => t.length > 0);
  const codes = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const token = raw[i]!.replace(/^[-./]+|[-./]+$/g, '');
    const canon = canonicalCode(token);
    if (canon.length < 3 || NOT_CODES.has(canon) || NOT_CODES.has(token)) continue;
    if (QUANTITY_TOKEN.test(canon)) continue;
    // A size with a length unit (210x297mm, 13x18cm) is a measurement, as the analyser reads it: two
    // A4 papers sharing 210x297mm share no model.
    if (parseDimension(token) !== undefined) continue;
    // A memory speed (ddr4-3000) is shared by every module of that speed: the analyser reads it as MHz.
    if (parseMemoryGenerationSpeed(token) !== undefined) continue;
    const mixed = HAS_LETTER.test(canon) && HAS_DIGIT.test(canon);
    const digitCode = !HAS_LETTER.test(canon) && /[-/]/.test(token) && canon.length >= 5;
    const longDigits = /^\d{6,}$/.test(canon);
    if (mixed || digitCode || longDigits) {
      codes.add(canon);
      const prev = raw[i - 1];
      if (prev && /^[a-z]{1,4}$/.test(prev) && !/^(and|the|for|with|by|of|in|to)$/.test(prev)) codes.add(prev + canon);
      // `w120/p`-style colour or region suffixes: keep the stem too.
      const stem = token.split('/')[0];
      if (stem && stem !== token) {
        const c = canonicalCode(stem);
        if (c.length >= 3 && HAS_DIGIT.test(c)) codes.add(c);
      }
    }
  }
  return [...codes];
}

/** Plain numbers in text (versions, years, sizes without units): `2007`, `5.0`. */
export function extractNumbers(tokens: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of tokens) if (/^\d+(?:\.\d+)?$/.test(t)) out.add(String(Number(t)));
  return [...out];
}

/** Levenshtein distance with an early exit when it exceeds `max` (returns max + 1 then). */
export function levenshtein(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/** 1 − distance / longer length. */
export function editSimilarity(a: string, b: string): number {
  const longer = Math.max(a.length, b.length);
  if (longer === 0) return 1;
  return 1 - levenshtein(a, b) / longer;
}
