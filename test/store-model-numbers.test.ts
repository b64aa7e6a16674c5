import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Product } from '../src/catalog/product.ts';
import { ANALYZED_FIELDS } from '../src/store/store.ts';
import { createProductStore, MIN_FUZZY_CODE_LENGTH, withinOneEdit, type ProductStore } from '../src/store/index.ts';
import { codeBuckets } from '../src/store/model-numbers.ts';
import { editDistance } from '../src/similarity/field-similarities/types.ts';

function tempStore(): { store: ProductStore; dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-codes-'));
  const file = path.join(dir, 'store.db');
  return { store: createProductStore({ path: file }), dir, file };
}

/** A product carrying these canonical model numbers (the analysis is given, so codes are exactly these). */
function coded(id: string, modelNumbers: string[]) {
  const product: Product = { id, title: `product ${id} ${modelNumbers.join(' ')}`, tags: [], images: [], attributes: {} };
  const tokens = Object.fromEntries(ANALYZED_FIELDS.map((f) => [f, f === 'title' ? ['product', ...modelNumbers] : []])) as Record<(typeof ANALYZED_FIELDS)[number], string[]>;
  return { product, analyzed: { tokens, modelNumbers, quantities: [], sizes: [] } };
}

/** Codes from a small alphabet so that many are one edit apart, of lengths 3–9. */
function codeSource(seed: number) {
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return { next, code: () => Array.from({ length: 3 + Math.floor(next() * 7) }, () => 'ab12'[Math.floor(next() * 4)]).join('') };
}

/** Every (product, code) within one edit of the query, by scanning the catalog: the oracle. */
function scan(catalog: Map<string, string[]>, query: string): string[] {
  const out: string[] = [];
  for (const [id, codes] of catalog) {
    for (const c of new Set(codes)) {
      if (c === query) out.push(`${id}:${c}:0`);
      else if (query.length >= MIN_FUZZY_CODE_LENGTH && editDistance(c, query) <= 1) out.push(`${id}:${c}:1`);
    }
  }
  return out.sort();
}

const found = (store: ProductStore, query: string) => store.findModelNumbers(query).map((h) => `${h.id}:${h.code}:${h.edits}`).sort();

test('withinOneEdit agrees with the edit distance on substitutions, insertions and deletions', () => {
  assert.equal(withinOneEdit('wh1000xm5', 'wh1000xm5'), true);
  assert.equal(withinOneEdit('wh1000xm5', 'wh1000xm4'), true); // substitution
  assert.equal(withinOneEdit('wh1000xm5', 'wh1000m5'), true); // deletion
  assert.equal(withinOneEdit('dscw120', 'dscw1200'), true); // insertion
  assert.equal(withinOneEdit('wh1000xm5', 'wh1000x45'), true);
  assert.equal(withinOneEdit('wh1000xm5', 'wh100xm4'), false); // two edits
  assert.equal(withinOneEdit('sm-g9910', 'sm-g9960'), true);
  assert.equal(withinOneEdit('abc', 'cba'), false);
  // Exhaustive check against the full edit distance over short strings of a small alphabet.
  const words: string[] = [''];
  for (let len = 1; len <= 4; len++) for (let i = 0; i < 3 ** len; i++) words.push(i.toString(3).padStart(len, '0').replace(/0/g, 'a').replace(/1/g, 'b').replace(/2/g, 'c'));
  for (const a of words) for (const b of words) assert.equal(withinOneEdit(a, b), editDistance(a, b) <= 1, `${a} vs ${b}`);
});

test('the store finds exactly the codes within one edit (against a scan of every code), exact hits first', () => {
  const { store, dir } = tempStore();
  try {
    const { next, code } = codeSource(7);
    const catalog = new Map<string, string[]>();
    const batch = Array.from({ length: 3000 }, (_, i) => {
      const codes = [code(), ...(next() < 0.2 ? [code()] : [])];
      catalog.set(`p${i}`, codes);
      return coded(`p${i}`, codes);
    });
    store.upsertProducts(batch);
    for (let q = 0; q < 400; q++) {
      const query = code();
      assert.deepEqual(found(store, query), scan(catalog, query), query);
      const edits = store.findModelNumbers(query).map((h) => h.edits);
      assert.deepEqual(edits, [...edits].sort(), 'exact hits come first');
    }
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('model numbers follow rewrites and deletes; an older store gets them on a writable open, a read-only open reads a temporary copy', () => {
  const { store, dir, file } = tempStore();
  try {
    const { next, code } = codeSource(23);
    const catalog = new Map<string, string[]>();
    store.upsertProducts(
      Array.from({ length: 1500 }, (_, i) => {
        catalog.set(`p${i}`, [code()]);
        return coded(`p${i}`, catalog.get(`p${i}`)!);
      }),
    );
    // Rewrites (new codes, none, two, the same code twice), deletes and new ids, in batches.
    for (let round = 0; round < 20; round++) {
      const writes: ReturnType<typeof coded>[] = [];
      const deletes: string[] = [];
      for (let i = 0; i < 60; i++) {
        const id = `p${Math.floor(next() * 1800)}`;
        const r = next();
        if (r < 0.2) {
          deletes.push(id);
          continue;
        }
        const same = code();
        const codes = r < 0.3 ? [] : r < 0.4 ? [same, same] : r < 0.5 ? [code(), code()] : [code()];
        writes.push(coded(id, codes));
      }
      store.upsertProducts(writes);
      store.deleteProducts(deletes.filter((id) => !writes.some((w) => w.product.id === id)));
      for (const w of writes) catalog.set(w.product.id, w.analyzed.modelNumbers);
      for (const id of deletes) if (!writes.some((w) => w.product.id === id)) catalog.delete(id);
    }
    const queries = Array.from({ length: 300 }, code);
    for (const query of queries) assert.deepEqual(found(store, query), scan(catalog, query), query);
    store.close();
    // A code's buckets stay exactly as long as some product carries it.
    const bucketRows = () => {
      const db = new Database(file, { readonly: true });
      const rows = (db.prepare('SELECT bucket, code FROM model_number_buckets ORDER BY bucket, code').all() as { bucket: string; code: string }[]).map((r) => `${r.bucket} ${r.code}`);
      db.close();
      return rows;
    };
    const held = new Set([...catalog.values()].flat());
    const expected = [...held].flatMap((c) => codeBuckets(c).map((b) => `${b} ${c}`)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual(bucketRows(), expected);

    // A store from before the table.
    const raw = new Database(file);
    raw.exec('DROP TABLE product_model_numbers; DROP TABLE model_number_buckets;');
    raw.close();
    const readOnly = createProductStore({ path: file, readonly: true });
    for (const query of queries.slice(0, 50)) assert.deepEqual(found(readOnly, query), scan(catalog, query), query);
    readOnly.close();
    const reopened = createProductStore({ path: file });
    for (const query of queries) assert.deepEqual(found(reopened, query), scan(catalog, query), query);
    reopened.close();
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
