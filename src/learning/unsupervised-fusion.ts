/**
 * Combining similarity scores without labels: the mean of the parts' standardised scores (each part
 * minus its mean over the pairs, divided by its standard deviation). Measured on the five Chinese
 * STS validation splits (`npm run eval:zh`), against the equal-weight mean of ranks used before, with
 * the same four parts: ATEC 25.6 vs 25.2, BQ 46.4 vs 45.9, LCQMC 49.4 vs 47.8, PAWS-X 4.3 vs 4.1,
 * STS-B 72.7 vs 72.4. Ranks flatten how far apart two pairs are; standardised scores keep it, so a
 * part that is sure (far from its mean) counts more than one that barely separates the pairs. Also
 * tried, and not better on all five: weights from the parts' rank agreement (leading eigenvector of
 * their correlation matrix: it came out near-equal, 0.23–0.28), weights by score spread, a geometric
 * mean. No label is used; the standardisation reads only the scores of the pairs being compared.
 */
import { createError } from '../errors.ts';

/** Mean over the parts of (score − part mean) / part standard deviation; a constant part adds 0. */
export function zScoreFusion(columns: readonly ArrayLike<number>[]): Float64Array {
  if (columns.length === 0) throw createError('INVALID_ARGUMENT', 'zScoreFusion: no columns');
  const n = columns[0]!.length;
  for (const c of columns) if (c.length !== n) throw createError('INVALID_ARGUMENT', `zScoreFusion: columns of ${n} and ${c.length} scores`);
  const out = new Float64Array(n);
  for (const c of columns) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += c[i]!;
    mean /= Math.max(1, n);
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (c[i]! - mean) ** 2;
    const sd = Math.sqrt(variance / Math.max(1, n));
    if (!(sd > 0)) continue;
    for (let i = 0; i < n; i++) out[i]! += (c[i]! - mean) / sd / columns.length;
  }
  return out;
}
