/**
 * Typed relevance of a search hit, in the ESCI scheme of the Amazon Shopping Queries data set
 * (Reddy et al. 2022): the product asked for (`exact`), one that could stand in for it but differs
 * in something the query names (`substitute`), one used together with what was asked for
 * (`complement`: a case for a phone), or unrelated (`irrelevant`). A shop shows it beside the hit
 * ("for iPhone 15", "other colour") instead of a bare score.
 *
 * The class comes from checks in a fixed order; the first that decides is reported with a reason:
 * 1. `productType`: the query names a product type the product is not. A type used with it
 *    (`usedWithValues`: case ↔ phone) makes a complement, any other an irrelevant hit.
 * 2. `relevance`: the calibrated relevance (search-relevance.ts) below `NO_GOOD_MATCH_BELOW`:
 *    irrelevant, whatever the attributes say.
 * 3. `attribute`: the query names a value the product does not have (gender, colour, model line,
 *    series, year, generation, brand, quantity): a substitute.
 * 4. `coverage`: every query word found in the product and relevance at least `EXACT_RELEVANCE`:
 *    exact; otherwise a substitute (part of the query is not in the product).
 */
import { queryDistinctions, type Distinction } from '../similarity/distinctions.ts';
import { usedWithValues } from '../similarity/exclusive-values.ts';
import type { ProductRepresentation } from '../similarity/representation.ts';
import { quantityAgreement } from '../learning/query-features.ts';
import type { AnalyzedText } from '../text/analyzer.ts';
import { NO_GOOD_MATCH_BELOW, type RelevanceEvidence } from './search-relevance.ts';

export type RelevanceClass = 'exact' | 'substitute' | 'complement' | 'irrelevant';
export type RelevanceCheck = 'productType' | 'relevance' | 'attribute' | 'coverage';

export interface RelevanceClassResult {
  relevanceClass: RelevanceClass;
  /** The check that decided, and why, for people: `productType: case is used with phone`. */
  check: RelevanceCheck;
  reason: string;
}

/** Share of the query's words the product must hold for `exact` (1: all; the coverage is a mean of per-word credits). */
export const EXACT_COVERAGE = 0.999;
/** Calibrated relevance an `exact` hit needs: more likely relevant than not. */
export const EXACT_RELEVANCE = 0.5;

/**
 * The class of one hit from the query's analysis, the product's representation and the hit's
 * relevance evidence (`relevance` is `calibratedRelevance(evidence)`).
 */
export function classifyRelevance(
  query: Pick<AnalyzedText, 'normalized' | 'tokens' | 'quantities'>,
  product: ProductRepresentation | undefined,
  evidence: RelevanceEvidence,
  relevance: number,
): RelevanceClassResult {
  // Without a representation (a product gone from the store meanwhile) only the evidence is read.
  const distinctions = product ? queryDistinctions(query, product) : [];
  const type = distinctions.find((d) => d.dimension === 'productType');
  if (type) {
    const pair = type.a.flatMap((q) => type.b.filter((p) => usedWithValues(q, p)).map((p) => [q, p] as const))[0];
    if (pair) return { relevanceClass: 'complement', check: 'productType', reason: `${pair[1]} is used with ${pair[0]}` };
    return { relevanceClass: 'irrelevant', check: 'productType', reason: `asked for ${type.a.join('/')}, product is ${type.b.join('/')}` };
  }
  if (relevance < NO_GOOD_MATCH_BELOW) {
    return { relevanceClass: 'irrelevant', check: 'relevance', reason: `calibrated relevance ${relevance.toFixed(2)} < ${NO_GOOD_MATCH_BELOW}` };
  }
  const differences: Distinction[] = distinctions.filter((d) => d.dimension !== 'productType');
  const reasons = differences.map((d) => `${d.dimension}: asked ${d.a.join('/')}, product ${d.b.join('/')}`);
  if (product && quantityAgreement(query.quantities, product.text.title.quantities) < 0) {
    reasons.push(`quantity: asked ${query.quantities.map((q) => `${q.value}${q.unit}`).join('/')}, product ${product.text.title.quantities.map((q) => `${q.value}${q.unit}`).join('/')}`);
  }
  if (reasons.length > 0) return { relevanceClass: 'substitute', check: 'attribute', reason: reasons.join('; ') };
  if (evidence.coverage >= EXACT_COVERAGE && relevance >= EXACT_RELEVANCE) {
    return { relevanceClass: 'exact', check: 'coverage', reason: `every query word found, relevance ${relevance.toFixed(2)}` };
  }
  return {
    relevanceClass: 'substitute',
    check: 'coverage',
    reason: evidence.coverage < EXACT_COVERAGE ? `${Math.round(evidence.coverage * 100)}% of the query found in the product` : `relevance ${relevance.toFixed(2)} < ${EXACT_RELEVANCE}`,
  };
}
