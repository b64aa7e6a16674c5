/**
 * Order-aware similarity of two short texts: 2 × (longest common subsequence of characters) /
 * (sum of their lengths), in [0, 1]. Bag-of-words and n-gram measures score two sentences made of
 * the same words alike whatever their order (PAWS-X: `A 位于 B 以南` / `B 位于 A 以南`); the common
 * subsequence drops when the order changes. Characters are code points, compared as given.
 */

/** 2·LCS / (|a| + |b|) over code points; 0 when either text is empty. O(|a|·|b|) time, O(|b|) memory: for sentences, not documents. */
export function characterLcsSimilarity(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  if (x.length === 0 || y.length === 0) return 0;
  let previous = new Int32Array(y.length + 1);
  let current = new Int32Array(y.length + 1);
  for (const cx of x) {
    for (let j = 0; j < y.length; j++) current[j + 1] = cx === y[j] ? previous[j]! + 1 : Math.max(previous[j + 1]!, current[j]!);
    [previous, current] = [current, previous];
  }
  return (2 * previous[y.length]!) / (x.length + y.length);
}
