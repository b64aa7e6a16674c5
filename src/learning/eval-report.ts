/**
 * Evaluation of scored pairs and its report: a Markdown table plus SVG plots (precision–recall
 * curve, score histograms of matches vs non-matches). SVG is written by hand: a few lines of
 * markup, no plotting dependency.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createError } from '../errors.ts';
import { pairMetricsAt, prAuc, precisionRecallCurve, reliability, type PairMetrics, type PrPoint, type ReliabilitySummary } from './metrics.ts';

export interface PairEvaluation extends PairMetrics {
  pairs: number;
  positives: number;
  threshold: number;
  prAuc: number;
  reliability: ReliabilitySummary;
  curve: PrPoint[];
  scores: Float64Array;
  labels: Uint8Array;
}

/** Metrics of scores (probabilities) against labels at a threshold, with the data to plot them. */
export function evaluatePairs(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): PairEvaluation {
  if (scores.length !== labels.length) throw createError('INVALID_ARGUMENT', `evaluatePairs: ${scores.length} scores but ${labels.length} labels`);
  const s = Float64Array.from(scores);
  const y = Uint8Array.from(labels, (v) => (v >= 1 ? 1 : 0));
  return {
    ...pairMetricsAt(s, y, threshold),
    pairs: s.length,
    positives: y.reduce((a, b) => a + b, 0),
    threshold,
    prAuc: prAuc(s, y),
    reliability: reliability(s, y),
    curve: precisionRecallCurve(s, y),
    scores: s,
    labels: y,
  };
}

/** A GitHub-flavoured Markdown table; cells are escaped for pipes. */
export function markdownTable(header: readonly string[], rows: readonly (readonly (string | number)[])[], align?: readonly ('l' | 'r')[]): string {
  const cell = (v: string | number) => String(v).replace(/\|/g, '\\|');
  const sep = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [`| ${header.map(cell).join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Frame {
  width: number;
  height: number;
  left: number;
  top: number;
  plotW: number;
  plotH: number;
}

function frame(width = 480, height = 360): Frame {
  const left = 56;
  const top = 36;
  return { width, height, left, top, plotW: width - left - 16, plotH: height - top - 48 };
}

function axes(f: Frame, title: string, xLabel: string, yLabel: string, yMax: number, yTicks: number[]): string {
  const parts: string[] = [];
  parts.push(`<rect x="0" y="0" width="${f.width}" height="${f.height}" fill="white"/>`);
  parts.push(`<text x="${f.width / 2}" y="20" text-anchor="middle" font-size="14" font-family="sans-serif">${esc(title)}</text>`);
  parts.push(`<line x1="${f.left}" y1="${f.top + f.plotH}" x2="${f.left + f.plotW}" y2="${f.top + f.plotH}" stroke="black"/>`);
  parts.push(`<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.top + f.plotH}" stroke="black"/>`);
  for (let i = 0; i <= 5; i++) {
    const x = f.left + (i / 5) * f.plotW;
    parts.push(`<line x1="${x}" y1="${f.top + f.plotH}" x2="${x}" y2="${f.top + f.plotH + 4}" stroke="black"/>`);
    parts.push(`<text x="${x}" y="${f.top + f.plotH + 16}" text-anchor="middle" font-size="10" font-family="sans-serif">${(i / 5).toFixed(1)}</text>`);
  }
  for (const t of yTicks) {
    const y = f.top + f.plotH - (t / yMax) * f.plotH;
    parts.push(`<line x1="${f.left - 4}" y1="${y}" x2="${f.left + f.plotW}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${f.left - 6}" y="${y + 3}" text-anchor="end" font-size="10" font-family="sans-serif">${Number.isInteger(t) ? t : t.toFixed(2)}</text>`);
  }
  parts.push(`<text x="${f.left + f.plotW / 2}" y="${f.height - 12}" text-anchor="middle" font-size="11" font-family="sans-serif">${esc(xLabel)}</text>`);
  parts.push(`<text x="14" y="${f.top + f.plotH / 2}" text-anchor="middle" font-size="11" font-family="sans-serif" transform="rotate(-90 14 ${f.top + f.plotH / 2})">${esc(yLabel)}</text>`);
  return parts.join('\n');
}

function legend(f: Frame, names: readonly string[], x: number, y: number): string {
  return names
    .map((n, i) => `<rect x="${x}" y="${y + i * 16 - 9}" width="10" height="10" fill="${COLORS[i % COLORS.length]}" fill-opacity="0.8"/><text x="${x + 14}" y="${y + i * 16}" font-size="11" font-family="sans-serif">${esc(n)}</text>`)
    .join('\n');
}

/** Precision (y) against recall (x), one step line per named curve. */
export function precisionRecallSvg(title: string, curves: readonly { name: string; points: readonly PrPoint[] }[]): string {
  const f = frame();
  const lines = curves.map((c, ci) => {
    const pts: string[] = [];
    let prevRecall = 0;
    for (const p of c.points) {
      const x0 = f.left + prevRecall * f.plotW;
      const x1 = f.left + p.recall * f.plotW;
      const y = f.top + f.plotH - p.precision * f.plotH;
      pts.push(`${x0.toFixed(1)},${y.toFixed(1)}`, `${x1.toFixed(1)},${y.toFixed(1)}`);
      prevRecall = p.recall;
    }
    return `<polyline fill="none" stroke="${COLORS[ci % COLORS.length]}" stroke-width="1.5" points="${pts.join(' ')}"/>`;
  });
  return svgDoc(f, [axes(f, title, 'recall', 'precision', 1, [0, 0.2, 0.4, 0.6, 0.8, 1]), ...lines, legend(f, curves.map((c) => c.name), f.left + 12, f.top + f.plotH - 16 * curves.length)].join('\n'));
}

/** Histograms of scores in [0, 1] for matches and non-matches (share of each class per bin), with the threshold. */
export function scoreHistogramSvg(title: string, scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number, bins = 20): string {
  const f = frame();
  const counts = [new Array<number>(bins).fill(0), new Array<number>(bins).fill(0)];
  const totals = [0, 0];
  for (let i = 0; i < scores.length; i++) {
    const c = labels[i]! >= 1 ? 1 : 0;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(scores[i]! * bins)));
    counts[c]![b]!++;
    totals[c]!++;
  }
  const shares = counts.map((row, c) => row.map((v) => (totals[c] ? v / totals[c] : 0)));
  const yMax = Math.max(0.05, ...shares.flat()) * 1.05;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => Number((t * yMax).toFixed(2)));
  const bars: string[] = [];
  const bw = f.plotW / bins;
  shares.forEach((row, c) => {
    row.forEach((v, b) => {
      const h = (v / yMax) * f.plotH;
      const x = f.left + b * bw + (c === 0 ? 1 : bw / 2);
      bars.push(`<rect x="${x.toFixed(1)}" y="${(f.top + f.plotH - h).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[c]}" fill-opacity="0.8"/>`);
    });
  });
  const tx = f.left + Math.min(1, Math.max(0, threshold)) * f.plotW;
  bars.push(`<line x1="${tx}" y1="${f.top}" x2="${tx}" y2="${f.top + f.plotH}" stroke="black" stroke-dasharray="4 3"/>`);
  bars.push(`<text x="${tx + 3}" y="${f.top + 10}" font-size="10" font-family="sans-serif">threshold ${threshold.toFixed(3)}</text>`);
  return svgDoc(f, [axes(f, title, 'match probability', 'share of class', yMax, ticks), ...bars, legend(f, [`non-matches (${totals[0]})`, `matches (${totals[1]})`], f.left + f.plotW / 2 - 40, f.top + 24)].join('\n'));
}

function svgDoc(f: Frame, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}">\n${body}\n</svg>\n`;
}

export function pct(v: number, digits = 1): string {
  return (v * 100).toFixed(digits);
}

export interface EvalReportOptions {
  title: string;
  /** File name stem for the plots (`<stem>-pr.svg`, `<stem>-scores.svg`). */
  stem: string;
  /** Other curves to draw beside this evaluation's (a baseline, say). */
  compare: { name: string; evaluation: PairEvaluation }[];
  name: string;
}

/**
 * Writes `<stem>.md` (a metrics table, the reliability summary, links to the plots) and the two
 * SVG plots into `outDir`; returns the paths written.
 */
export function writeEvalReport(evaluation: PairEvaluation, outDir: string, options: Partial<EvalReportOptions> = {}): string[] {
  const title = options.title ?? 'Pair evaluation';
  const stem = options.stem ?? 'eval';
  const name = options.name ?? 'model';
  mkdirSync(outDir, { recursive: true });
  const all = [{ name, evaluation }, ...(options.compare ?? [])];
  const prPath = join(outDir, `${stem}-pr.svg`);
  const histPath = join(outDir, `${stem}-scores.svg`);
  writeFileSync(prPath, precisionRecallSvg(`${title}: precision–recall`, all.map((c) => ({ name: `${c.name} (PR-AUC ${pct(c.evaluation.prAuc)})`, points: c.evaluation.curve }))));
  writeFileSync(histPath, scoreHistogramSvg(`${title}: scores by class`, evaluation.scores, evaluation.labels, evaluation.threshold));
  const table = markdownTable(
    ['model', 'pairs', 'matches', 'threshold', 'precision', 'recall', 'F1', 'PR-AUC', 'TP', 'FP', 'FN', 'TN'],
    all.map(({ name: n, evaluation: e }) => [n, e.pairs, e.positives, e.threshold.toFixed(3), pct(e.precision), pct(e.recall), pct(e.f1), pct(e.prAuc), e.tp, e.fp, e.fn, e.tn]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const rel = markdownTable(
    ['probability bin', 'pairs', 'mean predicted', 'observed match rate'],
    evaluation.reliability.bins.filter((b) => b.count > 0).map((b) => [`${b.from.toFixed(1)}–${b.to.toFixed(1)}`, b.count, b.meanPredicted.toFixed(3), b.observedRate.toFixed(3)]),
    ['l', 'r', 'r', 'r'],
  );
  const md = [
    `# ${title}`,
    '',
    table,
    '',
    `Reliability of ${name}'s probabilities (expected calibration error ${evaluation.reliability.ece.toFixed(3)}, Brier ${evaluation.reliability.brier.toFixed(3)}):`,
    '',
    rel,
    '',
    `![precision–recall](${stem}-pr.svg) ![score histogram](${stem}-scores.svg)`,
    '',
  ].join('\n');
  const mdPath = join(outDir, `${stem}.md`);
  writeFileSync(mdPath, md);
  return [mdPath, prPath, histPath];
}
