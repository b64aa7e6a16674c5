/** Human-readable output of task results: ranked product tables and per-field explanation bars. */
import { formatExplanation, type ExplanationJSON } from '../similarity/explain.ts';
import type { LearnedExplanation } from '../tasks/learned-matcher.ts';
import type { ProductSummary } from '../tasks/result-item.ts';
import type { RankerExplanation } from '../learning/ranker.ts';
import { clip, table } from './format.ts';

export function priceText(p: ProductSummary): string {
  return p.price === undefined ? '' : `${p.price}${p.currency ? ` ${p.currency}` : ''}`;
}

export function productRows(items: readonly { product: ProductSummary; score: number }[], extra?: (i: number) => string): (string | number)[][] {
  return items.map((item, i) => [
    i + 1,
    item.product.id,
    clip(item.product.title, 48),
    clip(item.product.brand ?? '', 12),
    priceText(item.product),
    item.product.inStock === undefined ? '' : item.product.inStock ? 'yes' : 'no',
    item.score.toFixed(3),
    ...(extra ? [extra(i)] : []),
  ]);
}

export const PRODUCT_HEAD = ['#', 'id', 'title', 'brand', 'price', 'in stock', 'score'];

export function rankedTable(items: readonly { product: ProductSummary; score: number }[], extraHead?: string, extra?: (i: number) => string): string {
  return table(extraHead ? [...PRODUCT_HEAD, extraHead] : PRODUCT_HEAD, productRows(items, extra));
}

export function explanations(items: readonly { product: ProductSummary; explanation?: ExplanationJSON; learned?: LearnedExplanation }[], limit: number): string {
  return items
    .slice(0, limit)
    .filter((i) => i.explanation)
    .map((i, n) => `#${n + 1} ${i.product.id} ${clip(i.product.title, 60)}\n${formatExplanation(i.explanation!)}${i.learned ? `\n${learnedLines(i.learned)}` : ''}`)
    .join('\n\n');
}

/** Explanations of a learned ranker's scores: base, then the features that moved the score most. */
export function rankerExplanations(items: readonly { product: ProductSummary; rankerExplanation?: RankerExplanation }[], limit: number, features = 8): string {
  return items
    .slice(0, limit)
    .filter((i) => i.rankerExplanation)
    .map((i, n) => {
      const e = i.rankerExplanation!;
      const rows = e.features.slice(0, features).map((f) => `  ${f.contribution >= 0 ? '+' : ''}${f.contribution.toFixed(3)}  ${f.feature} = ${Number(f.value.toFixed(3))}`);
      const rest = e.features.slice(features).reduce((s, f) => s + f.contribution, 0);
      return [`#${n + 1} ${i.product.id} ${clip(i.product.title, 60)}  ranker score ${e.score.toFixed(3)} = base ${e.base.toFixed(3)} + contributions`, ...rows, `  ${rest >= 0 ? '+' : ''}${rest.toFixed(3)}  the other ${e.features.length - features} features`].join('\n');
    })
    .join('\n\n');
}

/** A trained scorer's decision: probability against its threshold, and the features that moved the logit most. */
function learnedLines(e: LearnedExplanation): string {
  const sign = (x: number) => (x >= 0 ? `+${x.toFixed(2)}` : x.toFixed(2));
  const features = e.contributions.map((c) => `  ${c.feature.padEnd(28)} ${sign(c.contribution)}  (value ${Number(c.value.toFixed(3))})`);
  const terms = e.tokenTerms.length > 0 ? [`  ${'tokens.learned from'.padEnd(28)} ${e.tokenTerms.map((t) => `${t.term} ${sign(t.weight)}`).join(', ')}`] : [];
  return [`${e.scorer}: probability ${e.probability.toFixed(3)} (threshold ${e.threshold.toFixed(3)}); logit ${e.logit.toFixed(2)} = base ${e.base.toFixed(2)} + features:`, ...features, ...terms].join('\n');
}

/** `--timings`: milliseconds per stage on one line, in the order the task ran them. */
export function timingsLine(timings: Readonly<Record<string, number>> | undefined): string {
  if (!timings) return '';
  const total = Object.values(timings).reduce((a, b) => a + b, 0);
  return `timings (ms): ${Object.entries(timings).map(([stage, ms]) => `${stage} ${ms.toFixed(2)}`).join(' · ')} · total ${total.toFixed(2)}`;
}
