/**
 * L2-regularised logistic regression on standardised features, fitted by Newton's method
 * (iteratively reweighted least squares). Deterministic: no random initialisation, no
 * shuffling. Logistic regression's probabilities are calibrated by construction on the
 * training distribution (the score equations match predicted and observed rates).
 */
import { createError, rejectUnknownKeys } from '../errors.ts';

export interface LogisticRegressionOptions {
  /** L2 penalty on standardised weights (not on the bias), as λ in λ/2·‖w‖². */
  l2: number;
  maxIterations: number;
  /** Stop when the largest weight change is below this. */
  tolerance: number;
}

export const DEFAULT_LOGISTIC_OPTIONS = { l2: 1, maxIterations: 50, tolerance: 1e-8 } as const satisfies LogisticRegressionOptions;

export interface LogisticModel {
  kind: 'logistic';
  featureNames: string[];
  /** Per-feature mean and standard deviation used for standardisation. */
  mean: number[];
  scale: number[];
  /** Weights on standardised features. */
  weights: number[];
  bias: number;
  iterations: number;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Solves A x = b for symmetric positive definite A (Cholesky); A is n×n row-major. */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (s <= 0) throw createError('INTERNAL', 'logistic regression: Hessian is not positive definite');
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j]!;
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}

export function fitLogisticRegression(
  rows: readonly Float64Array[],
  labels: ArrayLike<number>,
  featureNames: readonly string[],
  options: Partial<LogisticRegressionOptions> = {},
): LogisticModel {
  rejectUnknownKeys(options, Object.keys(DEFAULT_LOGISTIC_OPTIONS), 'fitLogisticRegression');
  const opts: LogisticRegressionOptions = { ...DEFAULT_LOGISTIC_OPTIONS, ...options };
  const n = rows.length;
  if (n === 0) throw createError('INVALID_ARGUMENT', 'logistic regression: no training rows');
  if (labels.length !== n) throw createError('INVALID_ARGUMENT', `logistic regression: ${n} rows but ${labels.length} labels`);
  const d = featureNames.length;
  const mean = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += r[j]! / n;
  for (const r of rows) for (let j = 0; j < d; j++) scale[j]! += (r[j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]!) || 1; // a constant feature stays 0 after centring
  // Standardised design with an intercept column at index d.
  const p = d + 1;
  const x = rows.map((r) => {
    const z = new Float64Array(p);
    for (let j = 0; j < d; j++) z[j] = (r[j]! - mean[j]!) / scale[j]!;
    z[d] = 1;
    return z;
  });
  const w = new Float64Array(p);
  let iterations = 0;
  for (let it = 0; it < opts.maxIterations; it++) {
    iterations = it + 1;
    const grad = new Float64Array(p);
    const hess = new Float64Array(p * p);
    for (let i = 0; i < n; i++) {
      const zi = x[i]!;
      let s = 0;
      for (let j = 0; j < p; j++) s += zi[j]! * w[j]!;
      const mu = sigmoid(s);
      const g = mu - (labels[i]! >= 1 ? 1 : 0);
      const h = Math.max(mu * (1 - mu), 1e-12);
      for (let j = 0; j < p; j++) {
        const zj = zi[j]!;
        if (zj === 0) continue;
        grad[j]! += g * zj;
        const hz = h * zj;
        for (let k = 0; k <= j; k++) hess[j * p + k]! += hz * zi[k]!;
      }
    }
    for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) hess[k * p + j] = hess[j * p + k]!;
    for (let j = 0; j < d; j++) {
      grad[j]! += opts.l2 * w[j]!;
      hess[j * p + j]! += opts.l2;
    }
    hess[d * p + d]! += 1e-9;
    const step = solveSpd(hess, grad, p);
    let maxChange = 0;
    for (let j = 0; j < p; j++) {
      w[j]! -= step[j]!;
      maxChange = Math.max(maxChange, Math.abs(step[j]!));
    }
    if (maxChange < opts.tolerance) break;
  }
  return { kind: 'logistic', featureNames: [...featureNames], mean, scale, weights: Array.from(w.subarray(0, d)), bias: w[d]!, iterations };
}

/** Linear score (log-odds) of one feature row. */
export function logisticLogit(model: LogisticModel, row: ArrayLike<number>): number {
  let s = model.bias;
  for (let j = 0; j < model.weights.length; j++) s += (model.weights[j]! * (row[j]! - model.mean[j]!)) / model.scale[j]!;
  return s;
}

export function predictLogistic(model: LogisticModel, row: ArrayLike<number>): number {
  return sigmoid(logisticLogit(model, row));
}

/** Weights in raw feature units (w/σ) and the matching bias: what a fusion profile stores. */
export function rawUnitWeights(model: LogisticModel): { weights: number[]; bias: number } {
  const weights = model.weights.map((w, j) => w / model.scale[j]!);
  let bias = model.bias;
  for (let j = 0; j < weights.length; j++) bias -= weights[j]! * model.mean[j]!;
  return { weights, bias };
}
