/**
 * How a product is serialised and fingerprinted in the store. The content hash is what decides
 * added/updated/unchanged on ingest and keys the embedding cache, so it must not depend on the
 * order keys happened to have in the source file.
 */
import { createHash } from 'node:crypto';
import { PRODUCT_FIELDS, categoryLevels, type Product } from '../catalog/product.ts';
import type { AnalyzedText, Quantity, TextAnalyzer } from '../text/analyzer.ts';
import { ANALYZED_FIELDS, type AnalyzedField, type AnalyzedProduct, type FieldFacts } from './store.ts';

/** JSON with fields in `PRODUCT_FIELDS` order, attributes sorted by key, absent fields left out. */
export function canonicalProductJson(product: Product): string {
  const out: Record<string, unknown> = {};
  for (const field of PRODUCT_FIELDS) {
    const value = product[field];
    if (value === undefined) continue;
    if (field === 'attributes') {
      const attrs = value as Record<string, string>;
      const sorted: Record<string, string> = {};
      for (const k of Object.keys(attrs).sort()) sorted[k] = attrs[k]!;
      out[field] = sorted;
    } else {
      out[field] = value;
    }
  }
  return JSON.stringify(out);
}

/** SHA-1 (hex, first 32 chars) of the canonical JSON: a fingerprint, not a security boundary. */
export function contentHashOfJson(canonicalJson: string): string {
  return createHash('sha1').update(canonicalJson).digest('hex').slice(0, 32);
}

export function productContentHash(product: Product): string {
  return contentHashOfJson(canonicalProductJson(product));
}

/** The text of each analysed field, as handed to the analyser. */
export function productFieldTexts(product: Product): Record<AnalyzedField, string> {
  return {
    title: product.title,
    brand: product.brand ?? '',
    tags: product.tags.join(' \n '),
    category: categoryLevels(product.category).join(' \n '),
    description: product.description ?? '',
    attributes: Object.values(product.attributes).join(' \n '),
  };
}

/** Analyses every text field separately (so the keyword index can weigh fields) and unions the extracted facts. */
export function analyzeProduct(product: Product, analyzer: TextAnalyzer): AnalyzedProduct {
  const texts = productFieldTexts(product);
  const tokens = {} as Record<AnalyzedField, string[]>;
  const modelNumbers = new Set<string>();
  const sizes = new Set<string>();
  const quantities: AnalyzedProduct['quantities'] = [];
  const seenQuantities = new Set<string>();
  const fieldFacts: NonNullable<AnalyzedProduct['fieldFacts']> = { title: {} };
  for (const field of ANALYZED_FIELDS) {
    const text = texts[field];
    if (text.length === 0) {
      tokens[field] = [];
      continue;
    }
    const a = analyzer.analyze(text);
    tokens[field] = a.tokens;
    if (field === 'title' || field === 'description') fieldFacts[field] = factsOf(a);
    for (const m of a.modelNumbers) modelNumbers.add(m);
    for (const s of a.sizes) sizes.add(s);
    for (const q of a.quantities) {
      const qk = `${q.value}${q.unit}`;
      if (seenQuantities.has(qk)) continue;
      seenQuantities.add(qk);
      quantities.push(q);
    }
  }
  return { tokens, modelNumbers: [...modelNumbers], quantities, sizes: [...sizes], fieldFacts };
}

function factsOf(a: AnalyzedText): FieldFacts {
  return {
    ...(a.modelNumbers.length > 0 ? { modelNumbers: a.modelNumbers } : {}),
    ...(a.quantities.length > 0 ? { quantities: a.quantities } : {}),
    ...(a.sizes.length > 0 ? { sizes: a.sizes } : {}),
  };
}

/**
 * The title's and description's analysis as `analyzer.analyze` returns it, rebuilt from what the
 * store kept (tokens and facts per field), or undefined when the store predates per-field facts. The
 * description is there only when it has text. The normalised text is recomputed when first read:
 * similar items rebuild ~60 candidates per query and scoring reads only tokens and facts.
 */
export function storedFieldAnalysis(
  product: Product,
  analyzed: AnalyzedProduct,
  analyzer: TextAnalyzer,
): { title: AnalyzedText; description?: AnalyzedText } | undefined {
  const facts = analyzed.fieldFacts;
  if (!facts) return undefined;
  const title = new StoredAnalyzedText(product.title, analyzed.tokens.title, facts.title, analyzer);
  if (!product.description?.trim()) return { title };
  return { title, description: new StoredAnalyzedText(product.description, analyzed.tokens.description, facts.description ?? {}, analyzer) };
}

/** An `AnalyzedText` from stored tokens and facts; `normalized` is computed on first read (a prototype getter; `toJSON` gives the plain form). */
class StoredAnalyzedText implements AnalyzedText {
  readonly tokens: string[];
  readonly modelNumbers: string[];
  readonly quantities: Quantity[];
  readonly sizes: string[];
  #raw: string;
  #analyzer: TextAnalyzer | undefined;
  #normalized: string | undefined;
  constructor(raw: string, tokens: string[], facts: FieldFacts, analyzer: TextAnalyzer) {
    this.tokens = tokens;
    this.modelNumbers = facts.modelNumbers ?? [];
    this.quantities = facts.quantities ?? [];
    this.sizes = facts.sizes ?? [];
    this.#raw = raw;
    this.#analyzer = analyzer;
  }
  get normalized(): string {
    if (this.#normalized === undefined) {
      this.#normalized = this.#analyzer!.normalize(this.#raw);
      this.#analyzer = undefined;
    }
    return this.#normalized;
  }
  toJSON(): AnalyzedText {
    return { normalized: this.normalized, tokens: this.tokens, modelNumbers: this.modelNumbers, quantities: this.quantities, sizes: this.sizes };
  }
}
