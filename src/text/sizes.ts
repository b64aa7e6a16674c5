/**
 * Clothing and shoe sizes. Canonical forms are upper case with repeated X written as a count
 * (XXL → 2XL, XXXL → 3XL) because titles use both spellings for the same size; one-size-fits-all
 * (均码, free size) is FREE; numeric sizes (42码, EU shoes and waist sizes) are the number.
 */

const LETTER_SIZES: ReadonlyMap<string, string> = new Map([
  ['xs', 'XS'], ['s', 'S'], ['m', 'M'], ['l', 'L'], ['xl', 'XL'],
  ['xxs', '2XS'], ['xxxs', '3XS'],
  ['xxl', '2XL'], ['xxxl', '3XL'], ['xxxxl', '4XL'], ['xxxxxl', '5XL'], ['xxxxxxl', '6XL'],
  ['2xs', '2XS'], ['3xs', '3XS'],
  ['2xl', '2XL'], ['3xl', '3XL'], ['4xl', '4XL'], ['5xl', '5XL'], ['6xl', '6XL'], ['7xl', '7XL'], ['8xl', '8XL'],
  ['freesize', 'FREE'], ['onesize', 'FREE'], ['均码', 'FREE'], ['均碼', 'FREE'],
]);

/**
 * Canonical size of a whole token (lower case), or undefined. Only whole tokens count: the s of
 * a possessive is gone before this runs, and the l of 1.5l was already taken as a quantity.
 */
export function canonicalSize(token: string): string | undefined {
  return LETTER_SIZES.get(token);
}

/**
 * A numeric size written with 码 (42码, 42 码, 35-40码, 36.5码). Two or three digits: EU shoes are
 * 16–50, waist sizes 24–40, some brands use 100–190 (height in cm). Capture groups: first size,
 * optional second size of a range.
 */
export const NUMERIC_SIZE_SOURCE = String.raw`(?=\d)(?<![\p{N}.])(\d{2,3}(?:\.5)?)(?:\s?[-~至到]\s?(\d{2,3}(?:\.5)?))?\s?码`;

/** Canonical form of a numeric size: the number without a trailing .0. */
export function canonicalNumericSize(text: string): string {
  return String(Number(text));
}
