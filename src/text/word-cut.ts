/**
 * One cutter of a Chinese word (or run) into the dictionary words inside it, shared by the analyser's
 * `wordParts` (the compound parts of a query word, for search coverage) and the CC-CEDICT bridge (the
 * entries whose vectors stand for a word it has no entry for).
 */

/**
 * `word` cut into the longest dictionary words inside it that do not overlap, chosen longest first
 * and then leftmost (落地窗 before 落地 in 大落地窗), in reading order; each character no chosen
 * word covers is a piece of its own. Words are 2 … `maxLength` characters long and never the whole
 * `word` (a cut of a word into itself says nothing).
 */
export function longestWordCut(word: string, isWord: (piece: string) => unknown, maxLength: number = Number.POSITIVE_INFINITY): string[] {
  const chars = [...word];
  const taken = new Array<boolean>(chars.length).fill(false);
  const kept: { from: number; to: number }[] = [];
  for (let len = Math.min(maxLength, chars.length - 1); len >= 2; len--) {
    for (let from = 0; from + len <= chars.length; from++) {
      let free = true;
      for (let i = from; i < from + len; i++) if (taken[i]) free = false;
      if (!free || !isWord(chars.slice(from, from + len).join(''))) continue;
      for (let i = from; i < from + len; i++) taken[i] = true;
      kept.push({ from, to: from + len });
    }
  }
  chars.forEach((_, i) => {
    if (!taken[i]) kept.push({ from: i, to: i + 1 });
  });
  kept.sort((a, b) => a.from - b.from);
  return kept.map((s) => chars.slice(s.from, s.to).join(''));
}
