import { parseQuantityToken } from './quantities.ts';
import { canonicalSize } from './sizes.ts';

/**
 * Model numbers and product codes (DSC-W120/P, SM-G9910, WH-1000XM5, KDL-46V5100, A2849, MX-500,
 * RTX4090, 32CPIJ811-59L). They are the strongest single signal that two listings are the same
 * product, but sellers write them with or without separators, so the canonical form is lower case
 * with separators removed (`dscw120p`). The analyser also uses that form as the token, so keyword
 * search matches WH-1000XM5 with WH1000XM5.
 *
 * A candidate is a Latin/digit word, possibly joined by - / . _ + (see text-analyzer.ts). It is a
 * model number when it mixes letters and digits and is none of the things below.
 */

/** Separators sellers put inside codes. */
export const CODE_SEPARATORS = /[-./_+&,']/g;

/**
 * Letter+digit words that are formats, standards, networks or resolutions, not products. A
 * short curated list: each entry appears across thousands of unrelated products.
 */
const NOT_MODEL_NUMBERS: ReadonlySet<string> = new Set([
  'mp3', 'mp4', 'mp5', 'h264', 'h265', 'x264', 'x265', 'aac3', 'ac3',
  'usb2', 'usb3', 'usb30', 'usb31', 'usb32', 'usb20', 'hdmi2', 'hdmi21', 'hdmi20', 'dp14', 'pcie3', 'pcie4', 'pcie5',
  'ipv4', 'ipv6', 'wifi5', 'wifi6', 'wifi6e', 'wifi7', 'bt5', 'cat5', 'cat5e', 'cat6', 'cat6a', 'cat7',
  'ddr2', 'ddr3', 'ddr4', 'ddr5', 'lpddr4', 'lpddr4x', 'lpddr5', 'lpddr5x', 'gddr5', 'gddr6', 'gddr6x',
  'win7', 'win8', 'win10', 'win11', 'x64', 'x86', 'ios16', 'ios17',
  'ip67', 'ip68', 'ipx4', 'ipx5', 'ipx7', 'ipx8',
  'a4', 'a3', 'a5', 'b5', 'm2',
  'f2', 'f1', 'uv400', 'n95', 'kn95', 'ffp2',
]);

/** Video resolutions and pixel densities: 1080p, 720p, 2160p, 1080i, 4k, 8k. */
const RESOLUTION = /^(?:\d{3,4}[pi]|[1-8]k)$/;
/**
 * Specification values shared by whole product families, found as "shared model numbers" between
 * different products in WDC Products: memory generations and speeds (ddr3l, pc312800, cl16), SD card
 * classes (c10, class10, u3, v30), CPU sockets (am4, lga1700), bus widths, pins, channels, tyre
 * TPI, PCIe generations, thousands (10k rpm).
 */
const SPEC_VALUE = /^(?:(?:lp)?ddr\d[lx]?|pc\d{1,2}l?\d{4,5}|cl\d{1,2}|c(?:lass)?10|[uv]\d{1,2}|am[2-5]|lga\d{3,4}|\d{2,4}bit|\d{2,3}pin|\d{1,2}ch|\d{2,3}tpi|gen\d(?:x\d{1,2})?|\d{1,3}k)$/;
/** 1st, 2nd, 3rd, 24th. */
const ORDINAL = /^\d+(?:st|nd|rd|th)$/;
/**
 * Words that are measurements written without a unit word, kept whole as a token by the analyser
 * and never model numbers: apertures (f/1.8, f2.8), dimensions (13x18, 27.5x2.40, 1200x1200) and
 * screen resolutions with a decimal (2.8k).
 */
export const APERTURE_OR_DIMENSIONS = /^(?:f\/?\d{1,2}(?:\.\d{1,2})?|\d+(?:\.\d+)?(?:x\d+(?:\.\d+)?){1,2}[a-z]{0,2}|\d\.\dk)$/;
/** Wi-Fi standards: 802.11n, 802.11ac → 80211n. */
const WIFI_STANDARD = /^80211[a-z]{1,2}$/;
/**
 * A count and an English word joined by a hyphen: 8-port, 2-way, 3-year, 10-cup. One or two
 * digits only: with three or more digits it is usually a code (Griffin 4046-trpautoc), except
 * before the few words below (360-degree, 500-sheet).
 */
const COUNT_HYPHEN_WORD = /^\d{1,2}-[a-z]{2,}$/;
const LONG_COUNT_HYPHEN_WORD = /^\d+-(?:degrees?|pages?|sheets?|count|pieces?|threads?|miles?|hours?|days?|years?|watts?|volts?)$/;
/**
 * Digits-only part numbers joined by hyphens (Garmin 010-10815, Logitech 963293-0403, Microsoft
 * 021-07746): at least 7 digits in all and at least two groups of 2+ digits. Plain numbers, ranges
 * (18-200) and fractions (33-1/3) are shorter; dates (2020-11-05) are excluded explicitly.
 */
const DIGIT_PART_NUMBER = /^\d{2,}(?:-\d{2,})+$/;
const DATE = /^(?:19|20)\d{2}-\d{1,2}-\d{1,2}$/;
/** ISBN-10 / ISBN-13 written with hyphens (0-7356-1856-9, 978-0-7356-1856-2): a product identifier too. */
const ISBN = /^(?:97[89]-)?\d{1,5}-\d{1,7}-\d{1,7}-[\dx]$/;
/** A quantity followed by plain words: 16gb-black, 5m-cable. */
const QUANTITY_THEN_WORDS = /^\d+(?:\.\d+)?[a-z]{1,5}(?:[-/][a-z]+)+$/;
/** A number running into a word: 100base, 3ways. Codes like 32cpij lose out; accepted. */
const NUMBER_THEN_WORD = /^\d+[a-z]{4,}$/;
/**
 * Years and seasons glued to letters (2020t, 2020ins, lily2020, chic2020, 19ss, 18fw) and body
 * measurements glued to numbers or sizes (145cm150, 7cm2020, xs150cm): Taobao titles are full
 * of them and none is a product code. Narrow on purpose: s320, dcc2000, vf2012 are real codes.
 */
const YEAR_OR_SEASON = /^(?:20[12]\d[a-z]{1,4}|[a-z]{3,}20[12]\d|\d{2}(?:ss|aw|fw))$/;
const MEASUREMENT_RUN = /^(?:\d{1,3}(?:cm|mm|kg)\d{2,4}|(?:x{0,4}[sl]|m|\dx[sl])\d{2,3}(?:cm|kg))$/;
const HAS_LETTER = /[a-z]/;
const HAS_DIGIT = /\d/;

/** Shortest and longest canonical model number. Two characters (a4, i7, s9) are too ambiguous. */
export const MODEL_NUMBER_MIN_LENGTH = 3;
export const MODEL_NUMBER_MAX_LENGTH = 24;

/**
 * The canonical model number of a lower-case word (`wh-1000xm5` → `wh1000xm5`), or undefined when
 * the word is not one: no digit, digits only (plain numbers, years, 33-1/3; hyphenated part
 * numbers of 7+ digits excepted), a quantity (16gb,
 * 375-watt), a size (3xl), an ordinal, a resolution, a standard or format (mp3, usb3, 802.11n), a
 * count+word (8-port), or a length outside 3..24 after removing separators.
 */
export function canonicalModelNumber(word: string): string | undefined {
  if (APERTURE_OR_DIMENSIONS.test(word)) return undefined;
  const joined = word.replace(CODE_SEPARATORS, '');
  if (joined.length < MODEL_NUMBER_MIN_LENGTH || joined.length > MODEL_NUMBER_MAX_LENGTH) return undefined;
  if (!HAS_DIGIT.test(joined)) return undefined;
  if (!HAS_LETTER.test(joined)) {
    if (ISBN.test(word) && (joined.length === 10 || joined.length === 13)) return joined;
    return DIGIT_PART_NUMBER.test(word) && joined.length >= 7 && !DATE.test(word) ? joined : undefined;
  }
  if (isTechnicalTerm(joined) || ORDINAL.test(joined) || YEAR_OR_SEASON.test(joined) || MEASUREMENT_RUN.test(joined)) return undefined;
  if (COUNT_HYPHEN_WORD.test(word) || LONG_COUNT_HYPHEN_WORD.test(word)) return undefined;
  if (joined.length === word.length ? NUMBER_THEN_WORD.test(joined) : QUANTITY_THEN_WORDS.test(word)) return undefined;
  if (canonicalSize(joined) !== undefined) return undefined;
  if (word.length !== joined.length && word.split(CODE_SEPARATORS).every((p) => canonicalSize(p) !== undefined)) return undefined; // s-4xl
  if (parseQuantityToken(word) !== undefined || parseQuantityToken(joined) !== undefined) return undefined;
  return joined;
}

/**
 * True for a joined letter+digit word that names a format, standard, resolution or specification
 * value (mp3, usb3, 80211n, 1080p, 4k, ddr4, c10, am4). The analyser keeps such a word as one token instead of splitting it.
 */
export function isTechnicalTerm(joined: string): boolean {
  return NOT_MODEL_NUMBERS.has(joined) || RESOLUTION.test(joined) || WIFI_STANDARD.test(joined) || SPEC_VALUE.test(joined);
}
