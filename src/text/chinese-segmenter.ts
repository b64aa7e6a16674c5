import { createRequire } from 'node:module';
import type { Jieba as JiebaType } from '@node-rs/jieba';
import { readWordList } from './word-lists.ts';

const require = createRequire(import.meta.url);

/**
 * Chinese word segmentation with jieba (@node-rs/jieba), default dictionary plus the shipped
 * e-commerce dictionary (dictionaries/ecommerce-zh.txt) plus the analyser's `userWords`.
 * The analyser sends only runs of Han characters here (Latin words, numbers and quantities are
 * tokenised by the analyser itself), with HMM on so unknown words such as new brand names still
 * come out as words rather than single characters.
 */

/**
 * Frequency given to dictionary words that have none: high enough that jieba keeps 包臀裙, 粗跟,
 * 内搭 whole against the default dictionary's split, low enough not to take over unrelated text.
 */
export const DEFAULT_USER_WORD_FREQUENCY = 50000;

const HAS_LATIN_OR_DIGIT = /[a-z0-9]/i;

/** `word [freq]` lines of the shipped dictionary, read once per process. */
export const ECOMMERCE_DICTIONARY: readonly string[] = readWordList('ecommerce-zh.txt');

/**
 * Words of a dictionary that contain Latin letters or digits (t恤, u盘, polo衫). The analyser splits
 * text into Han runs before segmentation, so jieba never sees them whole; the analyser matches
 * them as atomic tokens instead.
 */
export function mixedScriptWords(entries: readonly string[]): string[] {
  return entries.map(entryWord).filter((w) => HAS_LATIN_OR_DIGIT.test(w)).map((w) => w.toLowerCase());
}

function entryWord(entry: string): string {
  return entry.split(/\s+/)[0] ?? '';
}

function dictionaryLine(entry: string): string | undefined {
  const [word, freq] = entry.split(/\s+/);
  if (!word || HAS_LATIN_OR_DIGIT.test(word)) return undefined;
  return `${word} ${freq !== undefined && /^\d+$/.test(freq) ? freq : DEFAULT_USER_WORD_FREQUENCY}`;
}

/**
 * jieba loads its 5 MB dictionary once per process; analysers share one instance per
 * user-word list so building many analysers (tests, tasks) stays cheap.
 */
const instances = new Map<string, JiebaType>();

export function loadJieba(userWords: readonly string[]): JiebaType {
  const key = userWords.join('\n');
  const cached = instances.get(key);
  if (cached) return cached;
  const { Jieba } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
  const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
  const jieba = Jieba.withDict(dict);
  const lines: string[] = [];
  for (const entry of [...ECOMMERCE_DICTIONARY, ...userWords]) {
    const line = dictionaryLine(entry.trim());
    if (line) lines.push(line);
  }
  if (lines.length > 0) jieba.loadDict(Buffer.from(lines.join('\n')));
  instances.set(key, jieba);
  return jieba;
}

/**
 * jieba's HMM joins runs of single characters into new words, and in titles the single
 * characters are often 女 and 男 next to another one: 套装女潮牌 → 女潮, 上衣女夏 → 女夏, 裙女 …
 * Gender is one of the most useful tokens for matching, so a segment that starts or ends with
 * 女/男 and is not a known word (default dictionary, e-commerce dictionary, user words) is split
 * there. The same holds for a leading 风, the end of a style word (复古风满印 → 风满). The known words
 * are collected once per word list from the dictionary text (~1,300 words).
 */
const GENDER = /^[女男风]|[女男]$/;
const genderWordSets = new Map<string, ReadonlySet<string>>();

export function knownGenderWords(userWords: readonly string[]): ReadonlySet<string> {
  const key = userWords.join('\n');
  const cached = genderWordSets.get(key);
  if (cached) return cached;
  const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
  const words = new Set<string>();
  const text = Buffer.from(dict.buffer, dict.byteOffset, dict.byteLength).toString('utf8');
  for (const line of text.split('\n')) {
    const word = line.slice(0, line.indexOf(' '));
    if (word.length >= 2 && GENDER.test(word)) words.add(word.toLowerCase());
  }
  for (const entry of [...ECOMMERCE_DICTIONARY, ...userWords]) {
    const word = entryWord(entry.trim());
    if (word.length >= 2 && GENDER.test(word)) words.add(word);
  }
  genderWordSets.set(key, words);
  return words;
}

/** Splits an HMM-made segment at a leading 女/男/风 or trailing 女/男 (女潮 → 女 潮); known words stay whole. */
export function splitGenderMerge(word: string, known: ReadonlySet<string>): string[] | undefined {
  if (word.length < 2) return undefined;
  const first = word[0];
  const last = word[word.length - 1];
  if (first !== '女' && first !== '男' && first !== '风' && last !== '女' && last !== '男') return undefined;
  if (known.has(word)) return undefined;
  const parts: string[] = [];
  let rest = word;
  let tail: string | undefined;
  if (rest[0] === '女' || rest[0] === '男' || rest[0] === '风') {
    parts.push(rest[0]);
    rest = rest.slice(1);
  }
  const end = rest[rest.length - 1];
  if (rest.length >= 2 && (end === '女' || end === '男') && !known.has(rest)) {
    tail = end;
    rest = rest.slice(0, -1);
  }
  if (rest.length > 0) parts.push(rest);
  if (tail !== undefined) parts.push(tail);
  return parts;
}
