/**
 * Toneless pinyin of Han text, from the per-character table `dictionaries/han-pinyin.txt` (CC-CEDICT,
 * made by `npm run data:pinyin`): what a Chinese brand is called in Latin letters when its Latin name
 * is its pinyin (富安娜 / FUANNA, 罗莱 / LUOLAI, 波司登 / BOSIDENG). Characters with several readings
 * (行 hang / xing) give several spellings.
 */
import { readWordList } from './word-lists.ts';

let readingsOf: Map<string, readonly string[]> | undefined;

function readings(): Map<string, readonly string[]> {
  if (!readingsOf) {
    readingsOf = new Map();
    for (const line of readWordList('han-pinyin.txt')) {
      const [char, ...rs] = line.split(' ');
      if (char && rs.length > 0) readingsOf.set(char, rs);
    }
  }
  return readingsOf;
}

/**
 * The pinyin spellings of a run of Han characters, readings joined without spaces (`富安娜` →
 * `fuanna`, `funuo`… for 娜's second reading); at most `maxSpellings`, first readings first. Empty
 * when a character has no reading in the table (not Han, or too rare).
 */
export function pinyinSpellings(han: string, maxSpellings = 32): string[] {
  const table = readings();
  let spellings = [''];
  for (const char of han) {
    const rs = table.get(char);
    if (!rs) return [];
    spellings = spellings.flatMap((s) => rs.map((r) => s + r)).slice(0, maxSpellings);
  }
  return spellings;
}
