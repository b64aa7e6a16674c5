/**
 * The exact nearest neighbours that the recall benches (`postgres.ts`, `postgres-recall.ts`) compare an
 * index against: a scan of every stored vector.
 */

/** Dot product: the stored text vectors are unit length, so this is their cosine (-1 for a missing vector). */
export function cosineTo(q: Float32Array, v: Float32Array | undefined): number {
  if (!v) return -1;
  let dot = 0;
  for (let i = 0; i < q.length; i++) dot += q[i]! * v[i]!;
  return dot;
}

/** The `k` vectors closest to `q` by cosine, `exclude` (the query's own row) left out. */
export function exactTop(vectors: readonly { id: string; v: Float32Array }[], q: Float32Array, exclude: string, k: number): { id: string; s: number }[] {
  const scored: { id: string; s: number }[] = [];
  for (const { id, v } of vectors) {
    if (id !== exclude) scored.push({ id, s: cosineTo(q, v) });
  }
  scored.sort((a, b) => b.s - a.s);
  return scored.slice(0, k);
}
