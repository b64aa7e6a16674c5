/**
 * Chinese sentence-similarity sets (ATEC, BQ, LCQMC, PAWS-X zh, STS-B zh), `s1<TAB>s2<TAB>label`,
 * and the Spearman rank correlation they are scored with (×100 in published tables).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createError } from '../../errors.ts';

export interface StsPair {
  s1: string;
  s2: string;
  /** Graded (STS-B 0–5) or binary (the others) similarity label. */
  label: number;
}

export function parseStsPairs(text: string, file = '<input>'): StsPair[] {
  const out: StsPair[] = [];
  text.split('\n').forEach((line, i) => {
    const l = line.replace(/\r$/, '');
    if (l.trim() === '') return;
    const parts = l.split('\t');
    if (parts.length !== 3) throw createError('PARSE_ERROR', `expected "s1<TAB>s2<TAB>label", found ${parts.length} parts`, { file, line: i + 1 });
    const label = Number(parts[2]);
    if (!Number.isFinite(label)) throw createError('PARSE_ERROR', 'label is not a number', { file, line: i + 1, field: 'label', received: parts[2] });
    out.push({ s1: parts[0]!, s2: parts[1]!, label });
  });
  return out;
}

export function readStsPairs(path: string): StsPair[] {
  if (!existsSync(path)) throw createError('FILE_NOT_FOUND', `no such file: ${path}`, { file: path });
  return parseStsPairs(readFileSync(path, 'utf8'), path);
}

/** Ranks 1..n, ties get their mean rank (as Spearman's rho requires). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = r;
    i = j + 1;
  }
  return ranks;
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length) throw createError('INVALID_ARGUMENT', `pearson: lengths differ (${n} vs ${y.length})`);
  if (n < 2) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rho: Pearson correlation of tie-averaged ranks. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(averageRanks(x), averageRanks(y));
}
