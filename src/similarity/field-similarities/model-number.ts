/**
 * Model-number similarity. Codes are compared in canonical form (NFKC, lower case, letters and
 * digits only: `SM-G9910` → `smg9910`), split into runs of letters and digits (`smg`, `9910`).
 * For each pair of codes (one from each product):
 *
 * - **exact**: equal codes → 1.
 * - **prefix**: the shorter code's runs are a prefix of the longer's (`smg9910` / `smg9910zkd`:
 *   same model, a colour/region suffix) → min(maxPartialScore, shorter / longer length).
 * - **contains**: the shorter code (≥ 5 characters, letters and digits) appears inside the longer one,
 *   not cut inside a number (`dw00100036` in `wellingtondw00100036`, a word glued to the code)
 *   → min(maxPartialScore, 0.5 + 0.5 × shorter / longer length).
 * - **conflict**: the same shape (letter/digit runs of the same kinds over the shorter code's runs),
 *   the same family (same first run, or edit similarity ≥ minFamilySimilarity) and a digit run that
 *   differs (`smg9910` vs `smg9960`, `iphone14` vs `iphone15`, `26av502u` vs `32av502u`): another
 *   variant or model of one family → 0. This is evidence of *different* products, hence 0.
 * - **spelling**: the same digits in the same order and edit similarity 1 − lev / longer length
 *   ≥ minSpellingSimilarity (letter-only differences such as `dscw120p` / `dscw120b`)
 *   → min(maxPartialScore, similarity).
 * - **unrelated**: anything else.
 *
 * Product score: 1 if a code is shared, unless a conflict between codes longer than every shared
 * code exists (a shared `6ms` or `s550` is a spec, not the product's code: `ln46a850` vs
 * `ln46a650` decides → 0 `conflict`); else the best prefix/contains/spelling score; else 0 `conflict` when
 * a conflicting pair exists; else `unrelatedScore` (0) with `different`.
 * `undefined` when either product has no usable code.
 */
import { rejectUnknownKeys } from '../../errors.ts';
import { editSimilarityAtLeast, memoizeByObject, memoizeString, round, type FieldEvidence, type FieldSimilarity } from './types.ts';

export type ModelNumberRelation = 'exact' | 'prefix' | 'contains' | 'spelling' | 'conflict' | 'unrelated';
export type ModelNumberMatchKind = 'exact' | 'partial' | 'conflict' | 'different';

export interface ModelNumberPair {
  a: string;
  b: string;
  relation: ModelNumberRelation;
  score: number;
}

export interface ModelNumberEvidence extends FieldEvidence {
  kind: ModelNumberMatchKind;
  /** Codes both products carry. */
  matched: string[];
  /** The pair that decided the score (for partial and conflict), and every related pair. */
  best?: ModelNumberPair;
  pairs: ModelNumberPair[];
  codesA: string[];
  codesB: string[];
}

export interface ModelNumberSimilarityOptions {
  /** Codes shorter than this (after canonicalisation) are ignored as too ambiguous. */
  minCodeLength: number;
  /** Ignore codes without a digit (words mistaken for codes). */
  requireDigit: boolean;
  /** A partial match never scores above this, so it stays below an exact match. */
  maxPartialScore: number;
  minSpellingSimilarity: number;
  /** Codes of the same shape whose leading runs differ are one family above this edit similarity. */
  minFamilySimilarity: number;
  /** Score when both have codes and no pair is related at all. */
  unrelatedScore: number;
}

export const DEFAULT_MODEL_NUMBER_SIMILARITY_OPTIONS = {
  minCodeLength: 3,
  requireDigit: true,
  maxPartialScore: 0.9,
  minSpellingSimilarity: 0.75,
  minFamilySimilarity: 0.5,
  unrelatedScore: 0,
} as const satisfies ModelNumberSimilarityOptions;

/** `DSC-W120/P` → `dscw120p`. Same canonical form as the text analyzer's `modelNumbers`. */
export const canonicalModelNumber: (raw: string) => string = memoizeString((raw) => raw.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ''));

/**
 * What comparing a code needs, computed once per code: a product's codes are compared with every
 * candidate's. `runs`: runs of digits and of non-digits (`smg9910` → `smg`, `9910`); `digitRun[i]`:
 * whether run i is digits; `digits`: the digit runs in order (`dscw120p` → `120`, `a1b22` → `1|22`).
 */
interface CodeShape {
  runs: string[];
  digitRun: boolean[];
  digits: string;
  hasLetter: boolean;
  hasDigit: boolean;
}

const codeShape = memoizeString((code: string): CodeShape => {
  const runs = code.match(/\p{N}+|[^\p{N}]+/gu) ?? [];
  const digitRun = runs.map((r) => /^\p{N}+$/u.test(r));
  return {
    runs,
    digitRun,
    digits: runs.filter((_, i) => digitRun[i]).join('|'),
    hasLetter: /\p{L}/u.test(code),
    hasDigit: digitRun.includes(true),
  };
});

function isDigitChar(c: string | undefined): boolean {
  return c !== undefined && /\p{N}/u.test(c);
}

function modelNumberPair(a: string, b: string, relation: ModelNumberRelation, score: number): ModelNumberPair {
  return { a, b, relation, score };
}

export function compareModelNumbers(a: string, b: string, opts: ModelNumberSimilarityOptions = DEFAULT_MODEL_NUMBER_SIMILARITY_OPTIONS): ModelNumberPair {
  if (a === b) return modelNumberPair(a, b, 'exact', 1);
  const sa = codeShape(a);
  const sb = codeShape(b);
  const ra = sa.runs;
  const rb = sb.runs;
  const aShorter = ra.length <= rb.length;
  const shortShape = aShorter ? sa : sb;
  const shortRuns = shortShape.runs;
  const longRuns = aShorter ? rb : ra;
  const shortCode = aShorter ? a : b;
  const longCode = aShorter ? b : a;
  if (shortRuns.length < longRuns.length && shortCode.length >= 4 && isRunPrefix(shortRuns, longRuns)) {
    return modelNumberPair(a, b, 'prefix', Math.min(opts.maxPartialScore, shortCode.length / longCode.length));
  }
  // One code inside a longer string (`dw00100036` in `wellingtondw00100036`: a word glued to the
  // code), not cut inside a number (`ml140` is not inside `ml1400`).
  if (shortCode.length >= 5 && shortShape.hasLetter && shortShape.hasDigit) {
    const at = longCode.indexOf(shortCode);
    if (at >= 0) {
      const cutBefore = isDigitChar(longCode[at - 1]) && isDigitChar(shortCode[0]);
      const cutAfter = isDigitChar(longCode[at + shortCode.length]) && isDigitChar(shortCode[shortCode.length - 1]);
      if (!cutBefore && !cutAfter) {
        return modelNumberPair(a, b, 'contains', Math.min(opts.maxPartialScore, 0.5 + (0.5 * shortCode.length) / longCode.length));
      }
    }
  }
  // The edit distance decides only some cases, and a bound rules most pairs out without it.
  const m = Math.min(ra.length, rb.length);
  if (m >= 2) {
    let sameKinds = true;
    let digitDiffers = false;
    for (let i = 0; i < m; i++) {
      if (sa.digitRun[i] !== sb.digitRun[i]) sameKinds = false;
      else if (sa.digitRun[i] && ra[i] !== rb[i]) digitDiffers = true;
    }
    // Same family: the same shape and either the same leading run or mostly the same characters
    // (`26av502u` / `32av502u`); a different number in it makes it another model.
    if (sameKinds && digitDiffers && (ra[0] === rb[0] || editSimilarityAtLeast(a, b, opts.minFamilySimilarity) !== undefined)) {
      return modelNumberPair(a, b, 'conflict', 0);
    }
  }
  // Letter-only differences (`dscw120p` / `dscw120b`): same digits in the same order.
  const spelling = sa.digits === sb.digits ? editSimilarityAtLeast(a, b, opts.minSpellingSimilarity) : undefined;
  if (spelling !== undefined) return modelNumberPair(a, b, 'spelling', Math.min(opts.maxPartialScore, spelling));
  return modelNumberPair(a, b, 'unrelated', opts.unrelatedScore);
}

function isRunPrefix(shortRuns: readonly string[], longRuns: readonly string[]): boolean {
  for (let i = 0; i < shortRuns.length; i++) if (shortRuns[i] !== longRuns[i]) return false;
  return true;
}

export type ModelNumberSimilarityFn = (
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
) => FieldSimilarity<ModelNumberEvidence> | undefined;

export function createModelNumberSimilarity(options: Partial<ModelNumberSimilarityOptions> = {}): ModelNumberSimilarityFn {
  rejectUnknownKeys(options, Object.keys(DEFAULT_MODEL_NUMBER_SIMILARITY_OPTIONS), 'createModelNumberSimilarity');
  const opts: ModelNumberSimilarityOptions = { ...DEFAULT_MODEL_NUMBER_SIMILARITY_OPTIONS, ...options };
  const usableOnce = (codes: readonly string[]): string[] => [
    ...new Set(codes.map(canonicalModelNumber).filter((c) => [...c].length >= opts.minCodeLength && (!opts.requireDigit || /\p{N}/u.test(c)))),
  ];
  // One product's codes are compared with every candidate's: the usable set is kept per code list
  // (representations keep theirs, see `representationModelNumbers`). Lists are not mutated.
  const usableOf = memoizeByObject(usableOnce);
  const usable = (codes: readonly string[] | undefined): string[] => (codes ? usableOf(codes) : []);

  return function modelNumberSimilarity(rawA, rawB) {
    const codesA = usable(rawA);
    const codesB = usable(rawB);
    if (codesA.length === 0 || codesB.length === 0) return undefined;
    const matched = codesA.filter((c) => codesB.includes(c));
    const all: ModelNumberPair[] = [];
    for (const x of codesA) for (const y of codesB) all.push(compareModelNumbers(x, y, opts));
    const pairs = all.filter((p) => p.relation !== 'unrelated');
    const base = { matched, pairs, codesA, codesB };
    const conflicts = pairs.filter((p) => p.relation === 'conflict');
    const longestShared = Math.max(0, ...matched.map((c) => c.length));
    // A shared short code (`6ms`, `s550`: often a spec, not the product's code) does not outweigh
    // a conflict between longer codes (`ln46a850` vs `ln46a650`).
    const strongConflict = matched.length > 0 ? conflicts.find((p) => Math.min(p.a.length, p.b.length) > longestShared) : undefined;
    if (matched.length > 0 && !strongConflict) {
      return { score: 1, evidence: { summary: `same model number ${matched.join(', ')}`, kind: 'exact', ...base } };
    }
    if (strongConflict) {
      return {
        score: 0,
        evidence: {
          summary: `conflict: ${strongConflict.a} vs ${strongConflict.b} (same family, other variant)${matched.length ? `; shared only ${matched.join(', ')}` : ''}`,
          kind: 'conflict',
          best: strongConflict,
          ...base,
        },
      };
    }
    const partial = pairs
      .filter((p) => p.relation === 'prefix' || p.relation === 'contains' || p.relation === 'spelling')
      .sort((p, q) => q.score - p.score)[0];
    if (partial) {
      return {
        score: partial.score,
        evidence: { summary: `${partial.a} ~ ${partial.b} (${partial.relation}, ${round(partial.score, 2)})`, kind: 'partial', best: partial, ...base },
      };
    }
    const conflict = pairs.find((p) => p.relation === 'conflict');
    if (conflict) {
      return {
        score: 0,
        evidence: { summary: `conflict: ${conflict.a} vs ${conflict.b} (same family, other variant)`, kind: 'conflict', best: conflict, ...base },
      };
    }
    return {
      score: opts.unrelatedScore,
      evidence: { summary: `different model numbers ${codesA.join(', ')} vs ${codesB.join(', ')}`, kind: 'different', ...base },
    };
  };
}

let defaultModelNumberSimilarity: ModelNumberSimilarityFn | undefined;

export function modelNumberSimilarity(
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
): FieldSimilarity<ModelNumberEvidence> | undefined {
  defaultModelNumberSimilarity ??= createModelNumberSimilarity();
  return defaultModelNumberSimilarity(a, b);
}
