/**
 * Price similarity on the log scale, so 10 vs 20 and 100 vs 200 are equally far apart and the
 * score is symmetric:
 *
 *   r = |ln(pA / pB)|   (after converting both prices to one currency)
 *   score = 1                                                  if r ≤ ln(1 + tolerance)
 *         = 1 − (r − ln(1 + tolerance)) / (ln(maxRatio) − ln(1 + tolerance))   otherwise, floored at 0
 *
 * so prices within `tolerance` (5 %: rounding, .99 endings) count as equal and a ratio of
 * `maxRatio` (×4) or more scores 0. Currencies are converted with an explicit, dated rate table;
 * when the currencies differ and either is missing from the table the answer is `undefined`
 * (unknown), never a guess.
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { lazyEvidence, round, type FieldEvidence, type FieldSimilarity } from './types.ts';

export interface CurrencyRateTable {
  /** When the rates were taken (ISO date): shown in evidence so stale tables are visible. */
  asOf: string;
  /** The currency every rate is expressed in. */
  base: string;
  /** Units of `base` per one unit of the currency (ISO 4217 code, upper case). */
  rates: Readonly<Record<string, number>>;
}

/**
 * Default table: approximate mid-market rates in CNY per unit as of early January 2025, rounded.
 * Good enough to rank products by price closeness; pass your own table (`rates`) for anything
 * that needs current rates.
 */
export const DEFAULT_CURRENCY_RATES: CurrencyRateTable = Object.freeze({
  asOf: '2025-01-02',
  base: 'CNY',
  rates: Object.freeze({
    CNY: 1,
    USD: 7.3,
    EUR: 7.55,
    GBP: 9.1,
    JPY: 0.0465,
    HKD: 0.94,
    TWD: 0.222,
    KRW: 0.00495,
    SGD: 5.35,
    AUD: 4.52,
    CAD: 5.07,
    CHF: 8.05,
    INR: 0.085,
    RUB: 0.066,
    THB: 0.214,
    MYR: 1.63,
    NZD: 4.1,
    DKK: 1.02,
    SEK: 0.66,
    NOK: 0.64,
    PLN: 1.77,
    CZK: 0.3,
    HUF: 0.0185,
    BRL: 1.18,
    MXN: 0.36,
    ZAR: 0.39,
    TRY: 0.207,
    AED: 1.99,
    SAR: 1.95,
    ILS: 2.0,
    IDR: 0.00045,
    VND: 0.00029,
    PHP: 0.126,
    RON: 1.52,
    BGN: 3.86,
    ISK: 0.052,
    QAR: 2.0,
    OMR: 18.96,
    KES: 0.056,
    MUR: 0.155,
    BAM: 3.86,
  }),
});

export interface PriceSimilarityOptions {
  /** Relative difference treated as no difference (0.05 = 5 %). */
  tolerance: number;
  /** Price ratio at and beyond which the score is 0. */
  maxRatio: number;
  rates: CurrencyRateTable;
  /**
   * Currency assumed for a price given without one when the other side has one. When unset, a
   * missing currency is assumed equal to the other side's and the evidence says so.
   */
  defaultCurrency?: string;
}

export const DEFAULT_PRICE_SIMILARITY_OPTIONS = {
  tolerance: 0.05,
  maxRatio: 4,
  rates: DEFAULT_CURRENCY_RATES,
} as const satisfies PriceSimilarityOptions;

export interface PriceEvidence extends FieldEvidence {
  priceA: number;
  priceB: number;
  currencyA?: string;
  currencyB?: string;
  /** Both prices in `comparedIn`. */
  convertedA: number;
  convertedB: number;
  comparedIn?: string;
  /** |ln(a/b)| after conversion. */
  logRatio: number;
  /** Set when a missing currency was taken to be the other side's (or the default). */
  currencyAssumed: boolean;
  ratesAsOf?: string;
}

export interface PriceInput {
  price?: number;
  currency?: string;
}

export type PriceSimilarityFn = (a: PriceInput, b: PriceInput) => FieldSimilarity<PriceEvidence> | undefined;

/**
 * A price in another currency by the rate table (`from` absent means it is already in `to`);
 * undefined when either currency is not in the table.
 */
export function convertPrice(price: number, from: string | undefined, to: string, rates: CurrencyRateTable): number | undefined {
  const f = (from ?? to).toUpperCase();
  const t = to.toUpperCase();
  if (f === t) return price;
  const rf = f === rates.base ? 1 : rates.rates[f];
  const rt = t === rates.base ? 1 : rates.rates[t];
  return rf !== undefined && rt !== undefined ? (price * rf) / rt : undefined;
}

export function createPriceSimilarity(options: Partial<PriceSimilarityOptions> = {}): PriceSimilarityFn {
  rejectUnknownKeys(options, [...Object.keys(DEFAULT_PRICE_SIMILARITY_OPTIONS), 'defaultCurrency'], 'createPriceSimilarity');
  const opts: PriceSimilarityOptions = { ...DEFAULT_PRICE_SIMILARITY_OPTIONS, ...options };
  if (!(opts.tolerance >= 0) || !(opts.maxRatio > 1 + opts.tolerance)) {
    throw createError('INVALID_ARGUMENT', `price similarity: need tolerance ≥ 0 and maxRatio > 1 + tolerance (got ${opts.tolerance}, ${opts.maxRatio})`);
  }
  const flat = Math.log(1 + opts.tolerance);
  const zero = Math.log(opts.maxRatio);
  const rates = opts.rates.rates;

  return function priceSimilarity(a, b) {
    const pa = a.price;
    const pb = b.price;
    // Zero or negative prices are placeholders in catalogs, not prices: treat as missing.
    if (pa === undefined || pb === undefined || !(pa > 0) || !(pb > 0) || !Number.isFinite(pa) || !Number.isFinite(pb)) return undefined;
    let ca = a.currency?.trim().toUpperCase() || undefined;
    let cb = b.currency?.trim().toUpperCase() || undefined;
    let currencyAssumed = false;
    if (ca === undefined && cb !== undefined) {
      ca = opts.defaultCurrency?.toUpperCase() ?? cb;
      currencyAssumed = true;
    } else if (cb === undefined && ca !== undefined) {
      cb = opts.defaultCurrency?.toUpperCase() ?? ca;
      currencyAssumed = true;
    }
    let xa = pa;
    let xb = pb;
    let comparedIn = ca;
    let ratesAsOf: string | undefined;
    if (ca !== cb) {
      const ra = ca === undefined ? undefined : rates[ca];
      const rb = cb === undefined ? undefined : rates[cb];
      if (ra === undefined || rb === undefined) return undefined;
      xa = pa * ra;
      xb = pb * rb;
      comparedIn = opts.rates.base;
      ratesAsOf = opts.rates.asOf;
    }
    const logRatio = Math.abs(Math.log(xa / xb));
    const score = logRatio <= flat ? 1 : Math.max(0, 1 - (logRatio - flat) / (zero - flat));
    return lazyEvidence(score, () => {
      const ratio = Math.exp(logRatio);
      const cur = comparedIn ?? '';
      const summary =
        `${round(xa, 2)} vs ${round(xb, 2)} ${cur}`.trim() +
        ` (×${round(ratio, 2)}${ratesAsOf ? `, rates of ${ratesAsOf}` : ''}${currencyAssumed ? ', currency assumed' : ''})`;
      return {
        summary,
        priceA: pa,
        priceB: pb,
        ...(a.currency ? { currencyA: a.currency } : {}),
        ...(b.currency ? { currencyB: b.currency } : {}),
        convertedA: xa,
        convertedB: xb,
        ...(comparedIn ? { comparedIn } : {}),
        logRatio,
        currencyAssumed,
        ...(ratesAsOf ? { ratesAsOf } : {}),
      };
    });
  };
}

let defaultPriceSimilarity: PriceSimilarityFn | undefined;

export function priceSimilarity(a: PriceInput, b: PriceInput): FieldSimilarity<PriceEvidence> | undefined {
  defaultPriceSimilarity ??= createPriceSimilarity();
  return defaultPriceSimilarity(a, b);
}
