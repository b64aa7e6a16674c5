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
  'a4', 'a3', 'a5', 'b5',
  'f2', 'f1', 'uv400', 'n95', 'kn95', 'ffp2',
]);

/** Video resolutions and pixel densities: 1080p, 720p, 2160p, 1080i, 4k, 8k. */
const RESOLUTION = /^(?:\d{3,4}[pi]|[1-8]k)$/;
/** 1st, 2nd, 3rd, 24th. */
const ORDINAL = /^\d+(?:st|nd|rd|th)$/;
/** Wi-Fi standards: 802.11n, 802.11ac → 80211n. */
const WIFI_STANDARD = /^80211[a-z]{1,2}$/;
/** A count and an English word joined by a hyphen: 8-port, 2-way, 3-year, 4-pack, 10-piece. */
const NUMBER_HYPHEN_WORD = /^\d+-[a-z]{2,}$/;
/** A number running into a word: 100base, 3ways. Codes like 32cpij lose out; accepted. */
const NUMBER_THEN_WORD = /^\d+[a-z]{4,}$/;
const HAS_LETTER = /[a-z]/;
const HAS_DIGIT = /\d/;

/** Shortest and longest canonical model number. Two characters (a4, i7, s9) are too ambiguous. */
export const MODEL_NUMBER_MIN_LENGTH = 3;
export const MODEL_NUMBER_MAX_LENGTH = 24;

/**
 * The canonical model number of a lower-case word (`wh-1000xm5` → `wh1000xm5`), or undefined when
 * the word is not one: no letter or no digit (plain numbers, years, 33-1/3), a quantity (16gb,
 * 375-watt), a size (3xl), an ordinal, a resolution, a standard or format (mp3, usb3, 802.11n), a
 * count+word (8-port), or a length outside 3..24 after removing separators.
 */
export function canonicalModelNumber(word: string): string | undefined {
  const joined = word.replace(CODE_SEPARATORS, '');
  if (joined.length < MODEL_NUMBER_MIN_LENGTH || joined.length > MODEL_NUMBER_MAX_LENGTH) return undefined;
  if (!HAS_LETTER.test(joined) || !HAS_DIGIT.test(joined)) return undefined;
  if (isTechnicalTerm(joined) || ORDINAL.test(joined)) return undefined;
  if (NUMBER_HYPHEN_WORD.test(word) || NUMBER_THEN_WORD.test(joined)) return undefined;
  if (canonicalSize(joined) !== undefined) return undefined;
  if (parseQuantityToken(word) !== undefined || parseQuantityToken(joined) !== undefined) return undefined;
  return joined;
}

/**
 * True for a joined letter+digit word that names a format, standard or resolution (mp3, usb3,
 * 80211n, 1080p, 4k). The analyser keeps such a word as one token instead of splitting it.
 */
export function isTechnicalTerm(joined: string): boolean {
  return NOT_MODEL_NUMBERS.has(joined) || RESOLUTION.test(joined) || WIFI_STANDARD.test(joined);
}
