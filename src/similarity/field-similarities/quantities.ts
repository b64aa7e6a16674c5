/**
 * Quantity agreement between two product texts (the analyzer's `quantities` and `sizes`):
 * `128GB` vs `256GB`, `500ml` vs `1l`, size `XL` vs `M`. Per canonical unit present on both sides,
 * the unit agrees when one side's values are all among the other's (relative difference ≤
 * relativeTolerance; sizes: some size shared). score = agreeing units / shared units. `undefined` when no unit is on both sides.
 * This separates variants that share everything else (the 128 GB and the 256 GB phone).
 */
import type { AnalyzedText, Quantity } from '../../text/analyzer.ts';
import type { FieldEvidence, FieldSimilarity } from './types.ts';

export interface QuantityComparison {
  unit: string;
  valuesA: number[] | string[];
  valuesB: number[] | string[];
  agree: boolean;
}

export interface QuantitiesEvidence extends FieldEvidence {
  compared: QuantityComparison[];
}

/** Units whose values are converted into one before comparing (l → ml, kg → g, tb → gb). */
const UNIT_FOLD: Readonly<Record<string, [string, number]>> = {
  l: ['ml', 1000],
  kg: ['g', 1000],
  tb: ['gb', 1024],
  mb: ['gb', 1 / 1024],
  cm: ['mm', 10],
  m: ['mm', 1000],
  ghz: ['hz', 1e9],
  mhz: ['hz', 1e6],
};

function byUnit(qs: readonly Quantity[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const q of qs) {
    const [unit, factor] = UNIT_FOLD[q.unit] ?? [q.unit, 1];
    const list = m.get(unit) ?? [];
    list.push(q.value * factor);
    m.set(unit, list);
  }
  return m;
}

export function quantitiesSimilarity(
  a: Pick<AnalyzedText, 'quantities' | 'sizes'> | undefined,
  b: Pick<AnalyzedText, 'quantities' | 'sizes'> | undefined,
  relativeTolerance = 0.01,
): FieldSimilarity<QuantitiesEvidence> | undefined {
  if (!a || !b) return undefined;
  const ua = byUnit(a.quantities);
  const ub = byUnit(b.quantities);
  const compared: QuantityComparison[] = [];
  for (const [unit, va] of ua) {
    const vb = ub.get(unit);
    if (!vb) continue;
    // One side may name fewer values (`256GB` vs `8GB+256GB`), but not other ones: `12GB+512GB`
    // and `12GB+256GB` share the memory and are still two products.
    const close = (x: number, y: number) => Math.abs(x - y) <= relativeTolerance * Math.max(Math.abs(x), Math.abs(y));
    const within = (xs: number[], ys: number[]) => xs.every((x) => ys.some((y) => close(x, y)));
    const agree = within(va, vb) || within(vb, va);
    compared.push({ unit, valuesA: va, valuesB: vb, agree });
  }
  if (a.sizes.length > 0 && b.sizes.length > 0) {
    const sb = new Set(b.sizes.map((s) => s.toUpperCase()));
    compared.push({ unit: 'size', valuesA: a.sizes, valuesB: b.sizes, agree: a.sizes.some((s) => sb.has(s.toUpperCase())) });
  }
  if (compared.length === 0) return undefined;
  const agreeing = compared.filter((c) => c.agree).length;
  const summary = compared
    .map((c) => `${c.unit} ${c.agree ? '=' : '≠'} (${c.valuesA.join('/')} vs ${c.valuesB.join('/')})`)
    .join(', ');
  return { score: agreeing / compared.length, evidence: { summary, compared } };
}
