/**
 * Query rewriting against the catalog's vocabulary: words a shopper ran together (`ipadcase`,
 * `videogames`, `bluetoothspeaker`) are found by no keyword index, and their vector is unknown too.
 * When a query word occurs in no product but splits into words that do, search looks for the split.
 */

/** How words split: the parts of an unknown word are words of the catalog. */
export interface RunTogetherSplit {
  word: string;
  parts: string[];
}

/** Words shorter than this are never split (`tvs`, `usbc`: too many accidental splits). */
export const MIN_SPLIT_WORD_LENGTH = 6;
/** Shortest part: with two letters, typos split into syllables (`extenal` → `ex ten al`, `assassinss` → `assassin ss` on CrowdFlower). */
export const MIN_SPLIT_PART_LENGTH = 3;
/**
 * Products a part must occur in: a word of one product is as likely a typo or a code as a word
 * (`hardisk` → `har disk` on CrowdFlower, `har` in one title).
 */
export const MIN_PART_DOCUMENTS = 2;
/** At most this many parts per word (`portableharddrive`). */
export const MAX_SPLIT_PARTS = 3;

const LATIN_WORD = /^[a-z]+$/u;

/** Every way to cut `word` into 2 … `MAX_SPLIT_PARTS` parts of at least `MIN_SPLIT_PART_LENGTH` letters. */
function cuts(word: string, parts: number): string[][] {
  if (parts === 1) return word.length >= MIN_SPLIT_PART_LENGTH ? [[word]] : [];
  const out: string[][] = [];
  for (let i = MIN_SPLIT_PART_LENGTH; i <= word.length - MIN_SPLIT_PART_LENGTH * (parts - 1); i++) {
    for (const rest of cuts(word.slice(i), parts - 1)) out.push([word.slice(0, i), ...rest]);
  }
  return out;
}

/**
 * Splits of the query's run-together words: a Latin word of at least `MIN_SPLIT_WORD_LENGTH`
 * letters that no product holds (nor its singular), cut into the fewest parts that each occur in at
 * least `MIN_PART_DOCUMENTS` products;
 * among those, the cut whose rarest part is most common (`ipad case` before `ipa dcase`), ties
 * to the earlier cut. `documentFrequencies` is the keyword index's (`CatalogIndex.documentFrequencies`).
 */
export async function splitRunTogetherWords(
  tokens: readonly string[],
  documentFrequencies: (tokens: readonly string[]) => Map<string, number> | Promise<Map<string, number>>,
): Promise<RunTogetherSplit[]> {
  const words = [...new Set(tokens.filter((t) => t.length >= MIN_SPLIT_WORD_LENGTH && LATIN_WORD.test(t)))];
  if (words.length === 0) return [];
  // A plural whose singular products hold is a known word (`videogames`: `videogame` is in titles).
  const singular = (w: string) => (w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w);
  const known = await documentFrequencies([...new Set([...words, ...words.map(singular)])]);
  const unknown = words.filter((w) => (known.get(w) ?? 0) === 0 && (known.get(singular(w)) ?? 0) === 0);
  if (unknown.length === 0) return [];
  const candidates = new Map<string, string[][][]>();
  const parts = new Set<string>();
  for (const word of unknown) {
    const byCount: string[][][] = [];
    for (let n = 2; n <= MAX_SPLIT_PARTS; n++) byCount.push(cuts(word, n));
    candidates.set(word, byCount);
    for (const list of byCount) for (const cut of list) for (const p of cut) parts.add(p);
  }
  const df = await documentFrequencies([...parts]);
  const out: RunTogetherSplit[] = [];
  for (const [word, byCount] of candidates) {
    for (const list of byCount) {
      let best: { cut: string[]; rarest: number } | undefined;
      for (const cut of list) {
        const rarest = Math.min(...cut.map((p) => df.get(p) ?? 0));
        if (rarest >= MIN_PART_DOCUMENTS && (!best || rarest > best.rarest)) best = { cut, rarest };
      }
      if (best) {
        out.push({ word, parts: best.cut });
        break;
      }
    }
  }
  return out;
}

/** The query text with each split word replaced by its parts (on the analyser's normalised text). */
export function applySplits(normalized: string, splits: readonly RunTogetherSplit[]): string {
  let text = normalized;
  for (const s of splits) text = text.replace(new RegExp(`(?<![\\p{L}\\p{N}])${s.word}(?![\\p{L}\\p{N}])`, 'gu'), s.parts.join(' '));
  return text;
}
