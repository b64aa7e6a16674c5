/**
 * What SQLite's FTS5 `unicode61 remove_diacritics 2` tokenizer (the store's keyword index) makes
 * of a string, so the in-memory keyword index matches the same query tokens to the same products.
 *
 * unicode61 keeps runs of letters, digits and private-use characters (categories `L* N* Co`),
 * plus combining marks, which it drops; it case-folds and removes Latin diacritics (`é` → `e`).
 * The store writes each field's analyser tokens joined by spaces, so a token such as `1.5l` or
 * `iphone-15` becomes several FTS5 terms (`1`, `5l`), and a query token that splits is an FTS5
 * phrase. Checked character by character against FTS5 (test/keyword-index.test.ts, and the
 * vocabulary of the 100k benchmark store in bench/keyword.ts).
 */

import { UNICODE61_DROPPED, UNICODE61_FOLDS, UNICODE61_KEPT, UNICODE61_SEPARATORS } from './unicode61-table.ts';

/** Runs of token characters; combining marks (`M*`) join a run and are dropped by `foldTerm`. */
const TERM_RUN = /[\p{L}\p{N}\p{Co}\p{M}]+/gu;
const ASCII_ONLY = /^[^\u0080-\uffff]*$/;
const ASCII_TERM_RUN = /[0-9A-Za-z]+/g;
const MARKS = /\p{M}/gu;
const IS_MARK = /^\p{M}$/u;
const IS_TOKEN_CHAR = /^[\p{L}\p{N}\p{Co}]$/u;
/** Latin letters whose decomposition unicode61 strips (Latin-1 Supplement … Latin Extended Additional). */
const LATIN_WITH_DIACRITIC = /[\u00c0-\u024f\u1e00-\u1eff]/u;

/** Folds that `String.prototype.toLowerCase` does not do but unicode61 does. */
const EXTRA_FOLDS: ReadonlyMap<string, string> = new Map([
  ['ς', 'σ'],
  ['ſ', 's'],
  ['i\u0307', 'i'],
]);

function foldChar(ch: string): string {
  let c = ch.toLowerCase();
  c = EXTRA_FOLDS.get(c) ?? c;
  if (LATIN_WITH_DIACRITIC.test(c)) {
    const stripped = c.normalize('NFD').replace(MARKS, '');
    if (stripped.length > 0) c = stripped;
  }
  return c;
}

/**
 * The default rule alone (Unicode properties of the running JavaScript engine), without the
 * table of differences: used to generate that table.
 */
export function defaultTerms(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(TERM_RUN)) {
    let term = '';
    for (const ch of m[0]) if (!IS_MARK.test(ch)) term += foldChar(ch);
    if (term.length > 0) out.push(term);
  }
  return out;
}

/** `SEPARATOR` / `DROPPED` or the folded text, for non-ASCII code points where FTS5 differs from the default rule. */
const SEPARATOR = 0;
const DROPPED = 1;
const EXCEPTIONS = new Map<number, string | typeof SEPARATOR | typeof DROPPED>();
function addRanges(ranges: string, value: typeof SEPARATOR | typeof DROPPED | 'kept'): void {
  for (const r of ranges.split(' ')) {
    if (r.length === 0) continue;
    const [lo, hi = lo] = r.split('-');
    for (let cp = parseInt(lo!, 16); cp <= parseInt(hi!, 16); cp++) EXCEPTIONS.set(cp, value === 'kept' ? String.fromCodePoint(cp) : value);
  }
}
addRanges(UNICODE61_SEPARATORS, SEPARATOR);
addRanges(UNICODE61_DROPPED, DROPPED);
addRanges(UNICODE61_KEPT, 'kept');
for (const [cp, to] of Object.entries(UNICODE61_FOLDS)) EXCEPTIONS.set(parseInt(cp, 16), to);

/** The FTS5 terms of a text, in order (what unicode61 would index, or make the phrase of a query token). */
export function fts5Terms(text: string): string[] {
  if (ASCII_ONLY.test(text)) {
    const out = text.match(ASCII_TERM_RUN) ?? [];
    for (let i = 0; i < out.length; i++) out[i] = out[i]!.toLowerCase();
    return out;
  }
  const out: string[] = [];
  let term = '';
  let inTerm = false;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    let piece: string | undefined;
    if (cp < 0x80) {
      if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x61 && cp <= 0x7a)) piece = ch;
      else if (cp >= 0x41 && cp <= 0x5a) piece = ch.toLowerCase();
    } else {
      const exception = EXCEPTIONS.get(cp);
      if (exception === undefined) {
        if (IS_MARK.test(ch)) piece = '';
        else if (IS_TOKEN_CHAR.test(ch)) piece = foldChar(ch);
      } else if (exception === DROPPED) piece = '';
      else if (exception !== SEPARATOR) piece = exception;
    }
    if (piece === undefined) {
      if (inTerm && term.length > 0) out.push(term);
      term = '';
      inTerm = false;
    } else {
      term += piece;
      inTerm = true;
    }
  }
  if (inTerm && term.length > 0) out.push(term);
  return out;
}
