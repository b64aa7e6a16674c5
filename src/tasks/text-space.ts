/**
 * The catalog's text space: the dense text encoder every application uses for products and queries,
 * with its catalog-fitted state kept in the store so that it survives restarts (and so that the
 * encoder id, which keys the vector cache, stays the same until the catalog really changes).
 */
import { randomUUID } from 'node:crypto';
import type { Product } from '../catalog/product.ts';
import { acceptsTokens, type DenseEncoder, type WordVectors } from '../encoders/encoder.ts';
import type { ProductStore } from '../store/store.ts';
import { defaultEncoderInput } from './ingest-encode.ts';

/** A text encoder that can learn from the catalog (SIF frequencies, common component, catalog vectors). */
export interface FittableTextEncoder extends DenseEncoder<string> {
  fit(texts: readonly string[]): void;
  /**
   * Optional: `fit` of texts already tokenised with the encoder's `analyzer` (a `TokenizedTextEncoder`),
   * so the text space is fitted from one segmentation of each product's text.
   */
  fitTokenized?: ((docs: readonly (readonly string[])[]) => void) | undefined;
  /** Plain JSON, saved in the store. */
  toJSON(): unknown;
  load(state: unknown): void;
}

export function isFittable(encoder: DenseEncoder<string>): encoder is FittableTextEncoder {
  const e = encoder as Partial<FittableTextEncoder>;
  return typeof e.fit === 'function' && typeof e.toJSON === 'function' && typeof e.load === 'function';
}

/**
 * Refit when the catalog has grown or shrunk by more than this share since the last fit: frequent
 * refits would change the encoder id and throw away every cached vector for little gain.
 */
export const REFIT_DRIFT = 0.2;

const STATE_KEY = 'textSpace.state';
const FIT_COUNT_KEY = 'textSpace.fitCount';
/** A fresh id saved with every state: an encoder that loaded (or fitted) that state need not parse it again. */
const STATE_ID_KEY = 'textSpace.stateId';

/**
 * The state id each encoder holds. Every refresh checks the state, and at 1M products parsing it
 * (SIF frequencies, catalog vectors) was two thirds of a one-product write (~90 of ~140 ms).
 */
const heldStateIds = new WeakMap<DenseEncoder<string>, string>();

/** Marks the state in the store with a fresh id, held by `encoder` (which holds that state). */
async function saveNewStateId(store: ProductStore, encoder: DenseEncoder<string>): Promise<void> {
  const stateId = randomUUID();
  await store.setMeta(STATE_ID_KEY, stateId);
  heldStateIds.set(encoder, stateId);
}

/** The text an encoder sees of a product (brand, title, tags, category levels). */
export function productText(product: Product, encoder: DenseEncoder<string>): string {
  return defaultEncoderInput(product, encoder) ?? product.title;
}

/** Restores the fitted state saved in the store; returns false when there is none. */
export async function restoreTextState(store: ProductStore, encoder: DenseEncoder<string>): Promise<boolean> {
  if (!isFittable(encoder)) return true;
  const stateId = await store.getMeta(STATE_ID_KEY);
  if (stateId !== undefined && heldStateIds.get(encoder) === stateId) return true;
  const saved = await store.getMeta(STATE_KEY);
  if (saved === undefined) return false;
  encoder.load(JSON.parse(saved) as unknown);
  // A store written before state ids has none: `fitTextSpace` gives it one (opening may be read-only).
  if (stateId !== undefined) heldStateIds.set(encoder, stateId);
  else heldStateIds.delete(encoder);
  return true;
}

export interface FitDecision {
  fitted: boolean;
  reason: string;
}

/**
 * The tokens of every product's text as the fit saw them, kept for the encode pass that follows it in
 * the same refresh (which would otherwise read each product back and segment its text again). Compact:
 * tokens as ids into one vocabulary (4 bytes a token) with per-product offsets, keys and a 52-bit
 * fingerprint of the content hash (8 bytes each), plus the distinct tokens. Measured on the synthetic
 * catalog (12 tokens a product, ~1 new distinct token per product): 12.8 MiB at 100k products, so
 * ~130 MB at 1M; while the fit runs it also holds every text's token array (24 MiB at 100k with the
 * vocabulary's shared strings, 50 MiB with a fresh string per occurrence as before).
 */
export interface FitTokens {
  /** The product's tokens, when the fit saw this key with this content (else undefined: tokenise it). */
  tokensOf(key: number, contentHash: string): string[] | undefined;
  readonly products: number;
  /** Approximate memory held, in bytes. */
  readonly bytes: number;
}

/** FNV-1a of a string with a given offset basis (32 bits). */
function fnv1a(text: string, basis: number): number {
  let h = basis;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** 52 bits of two FNV-1a hashes: equal content hashes give equal fingerprints, different ones almost never. */
function fingerprint(contentHash: string): number {
  return fnv1a(contentHash, 0x811c9dc5) * 2 ** 20 + (fnv1a(contentHash, 0x050c5d1f) >>> 12);
}

/**
 * Collects FitTokens. `add` returns the tokens as the vocabulary's own strings: the fit then holds one
 * string per distinct token instead of one per occurrence (a token string is ~30–40 bytes; ~20M
 * occurrences at 1M products).
 */
function createFitTokensBuilder(): { add(key: number, contentHash: string, tokens: readonly string[]): string[]; finish(): FitTokens } {
  const vocabulary = new Map<string, number>();
  const words: string[] = [];
  let ids = new Int32Array(1 << 16);
  let used = 0;
  const offsets: number[] = [0];
  const keys: number[] = [];
  const prints: number[] = [];
  return {
    add(key, contentHash, tokens) {
      if (used + tokens.length > ids.length) {
        const grown = new Int32Array(Math.max(ids.length * 2, used + tokens.length));
        grown.set(ids.subarray(0, used));
        ids = grown;
      }
      const shared: string[] = [];
      for (const t of tokens) {
        let id = vocabulary.get(t);
        if (id === undefined) {
          id = words.length;
          vocabulary.set(t, id);
          words.push(t);
        }
        ids[used++] = id;
        shared.push(words[id]!);
      }
      offsets.push(used);
      keys.push(key);
      prints.push(fingerprint(contentHash));
      return shared;
    },
    finish() {
      vocabulary.clear();
      const tokenIds = ids.slice(0, used);
      const ends = Float64Array.from(offsets);
      const keyList = Float64Array.from(keys);
      const printList = Float64Array.from(prints);
      // Keys come in store order (ascending); sorted anyway so that lookups can bisect.
      let sorted = true;
      for (let i = 1; i < keyList.length && sorted; i++) sorted = keyList[i - 1]! < keyList[i]!;
      const order = sorted ? undefined : Int32Array.from([...keyList.keys()].sort((a, b) => keyList[a]! - keyList[b]!));
      const sortedKeys = order ? Float64Array.from(order, (i) => keyList[i]!) : keyList;
      let wordBytes = 0;
      for (const w of words) wordBytes += 40 + 2 * w.length;
      return {
        products: keyList.length,
        bytes: tokenIds.byteLength + ends.byteLength + keyList.byteLength * 2 + printList.byteLength + (order?.byteLength ?? 0) + wordBytes,
        tokensOf(key, contentHash) {
          let lo = 0;
          let hi = sortedKeys.length - 1;
          while (lo <= hi) {
            const mid = (lo + hi) >>> 1;
            const k = sortedKeys[mid]!;
            if (k < key) lo = mid + 1;
            else if (k > key) hi = mid - 1;
            else {
              const i = order ? order[mid]! : mid;
              if (printList[i] !== fingerprint(contentHash)) return undefined;
              const out: string[] = [];
              for (let p = ends[i]!; p < ends[i + 1]!; p++) out.push(words[tokenIds[p]!]!);
              return out;
            }
          }
          return undefined;
        },
      };
    },
  };
}

/** Fits the encoder on the catalog when it never was or the catalog drifted; saves the state. */
export async function fitTextSpaceIfNeeded(store: ProductStore, encoder: DenseEncoder<string>, force = false): Promise<FitDecision> {
  return (await fitTextSpace(store, encoder, force, false)).decision;
}

/**
 * `fitTextSpaceIfNeeded`, also returning the tokens a fit saw when asked to keep them (`keepTokens`)
 * and the encoder takes tokens: the refresh then encodes from them instead of reading every product
 * back and segmenting its text again.
 */
export async function fitTextSpace(store: ProductStore, encoder: DenseEncoder<string>, force: boolean, keepTokens: boolean): Promise<{ decision: FitDecision; tokens: FitTokens | undefined }> {
  if (!isFittable(encoder)) return { decision: { fitted: false, reason: 'encoder has no catalog-fitted state' }, tokens: undefined };
  const count = await store.count();
  const fitCount = Number((await store.getMeta(FIT_COUNT_KEY)) ?? 0);
  const hasState = await restoreTextState(store, encoder);
  if (hasState && !heldStateIds.has(encoder)) await saveNewStateId(store, encoder);
  const drift = fitCount === 0 ? Infinity : Math.abs(count - fitCount) / fitCount;
  if (!force && hasState && drift <= REFIT_DRIFT) return { decision: { fitted: false, reason: `state reused (catalog drift ${(drift * 100).toFixed(1)}% ≤ ${REFIT_DRIFT * 100}%)` }, tokens: undefined };
  // From here the encoder holds no saved state until the new one is: a fit that fails leaves it to be reloaded.
  heldStateIds.delete(encoder);
  let tokens: FitTokens | undefined;
  if (encoder.fitTokenized && acceptsTokens(encoder)) {
    const { analyzer } = encoder;
    const keep = createFitTokensBuilder();
    const docs: string[][] = [];
    for await (const { product, key, contentHash } of store.iterateProducts()) docs.push(keep.add(key, contentHash, analyzer.tokenize(productText(product, encoder))));
    encoder.fitTokenized(docs);
    if (keepTokens) tokens = keep.finish();
  } else {
    const texts: string[] = [];
    for await (const { product } of store.iterateProducts()) texts.push(productText(product, encoder));
    encoder.fit(texts);
  }
  await store.transaction(async () => {
    await store.setMeta(STATE_KEY, JSON.stringify(encoder.toJSON()));
    await store.setMeta(FIT_COUNT_KEY, String(count));
    await saveNewStateId(store, encoder);
  });
  const reason = force ? 'refit asked' : hasState ? `catalog drift ${(drift * 100).toFixed(1)}% > ${REFIT_DRIFT * 100}%` : 'first fit';
  return { decision: { fitted: true, reason }, tokens };
}

/**
 * The word vectors behind a text encoder, when it exposes them: a SIF encoder's own, or the
 * pretrained half of the catalog-aware default. Short texts (tags) are better compared as a plain
 * mean of word vectors than as SIF sentences.
 */
export function textWordVectors(encoder: DenseEncoder<string>): WordVectors | undefined {
  const e = encoder as { wordVectors?: WordVectors; pretrained?: { wordVectors?: WordVectors } };
  return e.wordVectors ?? e.pretrained?.wordVectors;
}

/** A text space's id without the state hash a fit appends (`catalog-aware:977ef645b1df` → `catalog-aware`). */
function textSpaceFamily(encoderId: string): string {
  return encoderId.replace(/:[0-9a-f]{8,}$/, '');
}

/**
 * Deletes the vectors of earlier states of the current text space (same encoder, an older fit): a
 * refit changes the encoder id, and nothing reads the old id's vectors again. Vectors of other
 * encoders (image features, another text encoder chosen explicitly) are kept, and nothing is removed
 * while the current space lacks a product's vector. Returns the removed count per encoder id.
 */
export async function removeSupersededTextVectors(store: ProductStore, currentId: string): Promise<Record<string, number>> {
  const family = textSpaceFamily(currentId);
  const removed: Record<string, number> = {};
  const stats = await store.stats();
  // Until every product has a vector of the current space, an older one may be all there is.
  if ((stats.vectors[currentId]?.count ?? 0) < stats.products) return removed;
  for (const encoderId of Object.keys(stats.vectors)) {
    if (encoderId === currentId || textSpaceFamily(encoderId) !== family) continue;
    removed[encoderId] = await store.deleteEncoderVectors(encoderId);
  }
  return removed;
}
