/**
 * Model-number similarity. Codes are compared in canonical form (NFKC, lower case, letters and
 * digits only: `SM-G9910` → `smg9910`), split into runs of letters and digits (`smg`, `9910`).
 * For each pair of codes (one from each product):
 *
 * - **exact**: equal codes → 1.
 * - **prefix**: the shorter code's runs are a prefix of the longer's (`smg9910` / `smg9910zkd`:
 *   same model, a colour/region suffix) → min(maxPartialScore, shorter / longer length).
 * - **conflict**: same run structure, same first run, and a digit run differs (`smg9910` vs
 *   `smg9960`, `iphone14` vs `iphone15`, `wh1000xm4` vs `wh1000xm5`): the same family, another
 *   variant → 0. This is strong evidence of *different* products, hence 0, not "partial".
 * - **spelling**: otherwise, edit similarity 1 − lev / longer length when ≥ minSpellingSimilarity
 *   (letter-only differences such as `dscw120p` / `dscw120b`) → min(maxPartialScore, similarity).
 * - **unrelated**: anything else.
 *
 * Product score: 1 if any code is shared; else the best prefix/spelling score; else 0 with
 * evidence `conflict` when a conflicting pair exists; else `unrelatedScore` (0) with `different`.
 * `undefined` when either product has no usable code.
 */
import { rejectUnknownKeys } from '../../errors.ts';
import { editSimilarity, round, type FieldEvidence, type FieldSimilarity } from './types.ts';

export type ModelNumberRelation = 'exact' | 'prefix' | 'spelling' | 'conflict' | 'unrelated';
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
  /** Score when both have codes and no pair is related at all. */
  unrelatedScore: number;
}

export const DEFAULT_MODEL_NUMBER_SIMILARITY_OPTIONS = {
  minCodeLength: 3,
  requireDigit: true,
  maxPartialScore: 0.9,
  minSpellingSimilarity: 0.75,
  unrelatedScore: 0,
} as const satisfies ModelNumberSimilarityOptions;

/** `DSC-W120/P` → `dscw120p`. Same canonical form as the text analyzer's `modelNumbers`. */
export function canonicalModelNumber(raw: string): string {
  return raw.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

function runs(code: string): string[] {
  return code.match(/\p{N}+|[^\p{N}]+/gu) ?? [];
}

const isDigits = (s: string) => /^\p{N}+$/u.test(s);

export function compareModelNumbers(a: string, b: string, opts: ModelNumberSimilarityOptions = DEFAULT_MODEL_NUMBER_SIMILARITY_OPTIONS): ModelNumberPair {
  if (a === b) return { a, b, relation: 'exact', score: 1 };
  const ra = runs(a);
  const rb = runs(b);
  const [shortRuns, longRuns, shortCode, longCode] = ra.length <= rb.length ? [ra, rb, a, b] : [rb, ra, b, a];
  if (shortRuns.length < longRuns.length && shortRuns.every((r, i) => r === longRuns[i]) && shortCode.length >= 4) {
    return { a, b, relation: 'prefix', score: Math.min(opts.maxPartialScore, shortCode.length / longCode.length) };
  }
  if (ra.length >= 2 && ra.length === rb.length && ra[0] === rb[0]) {
    const sameKinds = ra.every((r, i) => isDigits(r) === isDigits(rb[i]!));
    const digitDiffers = ra.some((r, i) => r !== rb[i] && isDigits(r));
    if (sameKinds && digitDiffers) return { a, b, relation: 'conflict', score: 0 };
  }
  const s = editSimilarity(a, b);
  if (s >= opts.minSpellingSimilarity) return { a, b, relation: 'spelling', score: Math.min(opts.maxPartialScore, s) };
  return { a, b, relation: 'unrelated', score: opts.unrelatedScore };
}

export type ModelNumberSimilarityFn = (
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
) => FieldSimilarity<ModelNumberEvidence> | undefined;

export function createModelNumberSimilarity(options: Partial<ModelNumberSimilarityOptions> = {}): ModelNumberSimilarityFn {
  rejectUnknownKeys(options, Object.keys(DEFAULT_MODEL_NUMBER_SIMILARITY_OPTIONS), 'createModelNumberSimilarity');
  const opts: ModelNumberSimilarityOptions = { ...DEFAULT_MODEL_NUMBER_SIMILARITY_OPTIONS, ...options };
  const usable = (codes: readonly string[] | undefined): string[] => [
    ...new Set(
      (codes ?? [])
        .map(canonicalModelNumber)
        .filter((c) => [...c].length >= opts.minCodeLength && (!opts.requireDigit || /\p{N}/u.test(c))),
    ),
  ];

  return function modelNumberSimilarity(rawA, rawB) {
    const codesA = usable(rawA);
    const codesB = usable(rawB);
    if (codesA.length === 0 || codesB.length === 0) return undefined;
    const matched = codesA.filter((c) => codesB.includes(c));
    const all: ModelNumberPair[] = [];
    for (const x of codesA) for (const y of codesB) all.push(compareModelNumbers(x, y, opts));
    const pairs = all.filter((p) => p.relation !== 'unrelated');
    const base = { matched, pairs, codesA, codesB };
    if (matched.length > 0) {
      return { score: 1, evidence: { summary: `same model number ${matched.join(', ')}`, kind: 'exact', ...base } };
    }
    const partial = pairs
      .filter((p) => p.relation === 'prefix' || p.relation === 'spelling')
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
