/**
 * Explanations of fused similarity results: a readable per-field table for the CLI and a plain
 * JSON form (no `undefined`, no typed arrays) for the HTTP API and files.
 *
 *   brand        ███████░░░ 0.70 × 0.20 = 0.14   苹果 ≡ Apple (alias of apple)
 *
 * The multiplier is the normalised weight (what the score really used); when a field is missing,
 * the profile's own weight is shown in parentheses so the renormalisation is visible.
 */
import { rejectUnknownKeys } from '../errors.ts';
import type { FieldEvidence } from './field-similarities/types.ts';
import { isFieldName, type FieldName } from './fields.ts';
import type { FusionResult, SimilarityResult } from './fusion.ts';
import type { Distinction } from './distinctions.ts';

export interface FormatExplanationOptions {
  /** Characters of the score bar. */
  barWidth: number;
  /** Decimals of scores, weights and contributions. */
  digits: number;
  /** Show each field's evidence summary after its line. */
  evidence: boolean;
  /** Longest evidence summary shown, in characters. */
  maxEvidenceLength: number;
}

export const DEFAULT_FORMAT_EXPLANATION_OPTIONS = {
  barWidth: 10,
  digits: 2,
  evidence: true,
  maxEvidenceLength: 100,
} as const satisfies FormatExplanationOptions;

export function scoreBar(score: number, width: number): string {
  const filled = Math.max(0, Math.min(width, Math.round(score * width)));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** One line, at most n characters: catalog values can carry newlines and tabs. */
function clip(s: string, n: number): string {
  const chars = [...s.replace(/\s+/gu, ' ')];
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('')}…`;
}

function isSimilarityResult(r: FusionResult): r is SimilarityResult {
  return 'matched' in r && 'a' in r;
}

/** Prints a result or its JSON form (as returned by the HTTP API and `explanationToJSON`). */
export function formatExplanation(
  resultOrJSON: FusionResult | SimilarityResult | ExplanationJSON,
  options: Partial<FormatExplanationOptions> = {},
): string {
  const result = isExplanationJSON(resultOrJSON) ? explanationFromJSON(resultOrJSON) : resultOrJSON;
  rejectUnknownKeys(options, Object.keys(DEFAULT_FORMAT_EXPLANATION_OPTIONS), 'formatExplanation');
  const o: FormatExplanationOptions = { ...DEFAULT_FORMAT_EXPLANATION_OPTIONS, ...options };
  const n = (x: number) => x.toFixed(o.digits);
  const lines: string[] = [];
  const head = isSimilarityResult(result) ? `${result.a} ↔ ${result.b}  ` : '';
  const total = result.score === undefined ? 'no score (every weighted field is missing)' : `score ${result.score.toFixed(3)}`;
  const confidence = result.confidence !== undefined && Math.abs(result.confidence - result.coverage) > 1e-9 ? `  confidence ${Math.round(result.confidence * 100)}%` : '';
  lines.push(`${head}${total}  profile ${result.profile}  coverage ${Math.round(result.coverage * 100)}%${confidence}`);
  const nameWidth = Math.max(5, ...result.fields.map((f) => f.field.length));
  lines.push(`  ${'field'.padEnd(nameWidth)} ${'score'.padEnd(o.barWidth + 2 + o.digits + 1)} × weight = contribution   (w: profile weight before renormalising)`);
  for (const f of result.fields) {
    const name = f.field.padEnd(nameWidth);
    if (f.missing || f.score === undefined) {
      lines.push(`  ${name} ${'·'.repeat(o.barWidth)} missing (weight ${n(f.weight)} renormalised away)`);
      continue;
    }
    const weighed = f.weightFactor !== undefined ? `, × ${n(f.weightFactor)} for common evidence` : '';
    const reweighted = Math.abs(f.normalizedWeight - f.weight) > 1e-9 ? ` (w ${n(f.weight)}${weighed})` : '';
    const ev = o.evidence && f.evidence?.summary ? `   ${clip(f.evidence.summary, o.maxEvidenceLength)}` : '';
    const factor = result.conflictFactor !== 1 ? ` × ${n(result.conflictFactor)}` : '';
    lines.push(`  ${name} ${scoreBar(f.score, o.barWidth)} ${n(f.score)} × ${n(f.normalizedWeight)}${factor} = ${n(f.contribution)}${reweighted}${ev}`);
  }
  if (result.conflicts.length > 0) {
    lines.push(`conflict: ${result.conflicts.join('; ')}${result.conflictFactor !== 1 ? ` → every contribution × ${n(result.conflictFactor)}` : ' (the profile applies no factor)'}`);
  }
  if (result.missingFields.length > 0) {
    lines.push(
      `missing: ${result.missingFields.join(', ')}; the other weights were renormalised to sum to 1 (the score rests on ${Math.round(result.coverage * 100)}% of the profile's weight)`,
    );
  }
  if (isSimilarityResult(result)) {
    if (result.matched.modelNumbers.length > 0) lines.push(`matched model numbers: ${result.matched.modelNumbers.join(', ')}`);
    if (result.matched.tokens.length > 0) lines.push(`matched title tokens: ${result.matched.tokens.join(' ')}`);
  }
  return lines.join('\n');
}

/** JSON-safe value: typed arrays → arrays, bigint → decimal string, undefined keys dropped. */
function plain(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plain(v);
    return out;
  }
  return value;
}

export interface ExplanationFieldJSON {
  field: string;
  score: number | null;
  weight: number;
  /** Present when the evidence's strength changed the weight (`FieldContribution.weightFactor`). */
  weightFactor?: number;
  normalizedWeight: number;
  contribution: number;
  missing: boolean;
  evidence: (FieldEvidence & Record<string, unknown>) | null;
}

export interface ExplanationJSON {
  a?: string;
  b?: string;
  score: number | null;
  profile: string;
  coverage: number;
  /** How much evidence the score rests on (`FusionResult.confidence`); absent in older answers. */
  confidence?: number;
  fields: ExplanationFieldJSON[];
  missingFields: string[];
  /** Identity conflicts found, and the factor they applied to every contribution (1 when none). */
  conflicts: string[];
  conflictFactor: number;
  /** The negative evidence among the conflicts: kind (`type`, `variant`), dimension and both values. */
  distinctions: Distinction[];
  matched?: { tokens: string[]; modelNumbers: string[] };
}

/** The plain JSON form: missing scores are `null`, never absent and never 0. */
export function explanationToJSON(result: FusionResult | SimilarityResult): ExplanationJSON {
  return {
    ...(isSimilarityResult(result) ? { a: result.a, b: result.b } : {}),
    score: result.score ?? null,
    profile: result.profile,
    coverage: result.coverage,
    confidence: result.confidence,
    fields: result.fields.map((f) => ({
      field: f.field,
      score: f.score ?? null,
      weight: f.weight,
      ...(f.weightFactor !== undefined ? { weightFactor: f.weightFactor } : {}),
      normalizedWeight: f.normalizedWeight,
      contribution: f.contribution,
      missing: f.missing,
      evidence: f.evidence ? (plain(f.evidence) as FieldEvidence & Record<string, unknown>) : null,
    })),
    missingFields: [...result.missingFields],
    conflicts: [...result.conflicts],
    conflictFactor: result.conflictFactor,
    distinctions: result.distinctions.map((d) => ({ ...d, a: [...d.a], b: [...d.b] })),
    ...(isSimilarityResult(result) ? { matched: { tokens: [...result.matched.tokens], modelNumbers: [...result.matched.modelNumbers] } } : {}),
  };
}

function isExplanationJSON(r: FusionResult | ExplanationJSON): r is ExplanationJSON {
  return r.score === null || r.fields.some((f) => f.score === null || f.evidence === null);
}

/** The JSON form back into a result (null → undefined), e.g. to print an API answer. */
export function explanationFromJSON(e: ExplanationJSON): FusionResult | SimilarityResult {
  const fused: FusionResult = {
    score: e.score ?? undefined,
    profile: e.profile,
    coverage: e.coverage,
    confidence: e.confidence ?? e.coverage,
    missingFields: e.missingFields.filter(isFieldName),
    conflicts: e.conflicts ?? [],
    conflictFactor: e.conflictFactor ?? 1,
    distinctions: e.distinctions ?? [],
    fields: e.fields
      .filter((f): f is ExplanationFieldJSON & { field: FieldName } => isFieldName(f.field))
      .map((f) => ({
        field: f.field,
        score: f.score ?? undefined,
        weight: f.weight,
        ...(f.weightFactor !== undefined ? { weightFactor: f.weightFactor } : {}),
        normalizedWeight: f.normalizedWeight,
        contribution: f.contribution,
        missing: f.missing,
        evidence: f.evidence ?? undefined,
      })),
  };
  if (e.a === undefined || e.b === undefined) return fused;
  return { ...fused, a: e.a, b: e.b, matched: e.matched ?? { tokens: [], modelNumbers: [] } };
}
