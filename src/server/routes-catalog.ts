/** Products (one, or a batch with per-record results), their images, and pair labels. */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import type { Hono } from 'hono';
import type { Product } from '../catalog/product.ts';
import { toProduct } from '../engine/task-registry.ts';
import { createError, isProdsimError } from '../errors.ts';
import { summarizeProduct } from '../tasks/result-item.ts';
import { textOf } from '../text-of.ts';
import { CONTENT_TYPES, fileResponse, jsonBody, under } from './http.ts';
import { labelsBodySchema, parseBody, productInputSchema } from './schemas.ts';
import type { AccessGuards, ServerContext } from './server-context.ts';

type BatchRow = { index: number; id: string | null; ok: boolean; status?: string; error?: { code: string; field?: string; expected?: string; message: string } };

/** The records of a batch body: `{"products": [...]}` or a bare array, at most `maxBatch`. */
function batchRecords(body: unknown, maxBatch: number): unknown[] {
  const records = Array.isArray(body) ? body : body && typeof body === 'object' && Array.isArray((body as { products?: unknown }).products) ? (body as { products: unknown[] }).products : undefined;
  if (!records) throw createError('INVALID_ARGUMENT', 'body must be {"products": [...]} or an array of products', { field: 'products', expected: 'array' });
  if (records.length > maxBatch) throw createError('LIMIT_EXCEEDED', `a batch holds at most ${maxBatch} products, got ${records.length}`, { field: 'products', expected: `at most ${maxBatch} items`, received: String(records.length) });
  return records;
}

/** Each record parsed: the good ones as products, the bad ones as failed rows naming their field. */
function parseBatch(records: readonly unknown[]): { good: { index: number; product: Product }[]; failed: BatchRow[] } {
  const failed: BatchRow[] = [];
  const good: { index: number; product: Product }[] = [];
  records.forEach((raw, index) => {
    const rawId = raw && typeof raw === 'object' && 'id' in raw ? String(raw.id) : null;
    try {
      const record = parseBody(productInputSchema, raw, `product ${index}`);
      good.push({ index, product: toProduct(record, `product ${index}`) });
    } catch (e) {
      // Expected failure as a value: a bad product is reported with its index; the others are still written.
      if (!isProdsimError(e)) throw e;
      const loc = e.location ?? {};
      failed.push({ index, id: rawId, ok: false, error: { code: e.code, ...(loc.field ? { field: loc.field } : {}), ...(loc.expected ? { expected: loc.expected } : {}), message: e.message } });
    }
  });
  return { good, failed };
}

export function registerProductRoutes(app: Hono, { engine, limits }: ServerContext, guards: AccessGuards): void {
  app.get('/v1/products/:id', guards.read, async (c) => {
    const id = c.req.param('id');
    const product = await engine.getProduct(id);
    if (!product) throw createError('PRODUCT_NOT_FOUND', `no product with id "${id}"`, { field: 'id', received: id });
    return c.json({ product, summary: summarizeProduct(product) });
  });

  app.put('/v1/products/:id', guards.write, async (c) => {
    const id = c.req.param('id');
    const body = await jsonBody(c);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw createError('INVALID_ARGUMENT', 'body must be a product object', { field: 'body' });
    const record = { ...(body as Record<string, unknown>) };
    if (record.id !== undefined && textOf(record.id) !== id) throw createError('INVALID_ARGUMENT', `body id "${textOf(record.id)}" differs from the path id "${id}"`, { field: 'id' });
    record.id = id;
    const product = toProduct(parseBody(productInputSchema, record, 'product'));
    const [result] = await engine.upsertProducts([product]);
    return c.json({ id, status: result!.status });
  });

  app.delete('/v1/products/:id', guards.write, async (c) => {
    const id = c.req.param('id');
    if ((await engine.deleteProducts([id])) === 0) throw createError('PRODUCT_NOT_FOUND', `no product with id "${id}"`, { field: 'id', received: id });
    return c.json({ id, deleted: true });
  });

  app.post('/v1/products', guards.write, async (c) => {
    const { good, failed } = parseBatch(batchRecords(await jsonBody(c), limits.maxBatch));
    const results: BatchRow[] = [...failed];
    const stored = good.length > 0 ? await engine.upsertProducts(good.map((g) => g.product)) : [];
    const statusById = new Map(stored.map((r) => [r.id, r.status]));
    for (const g of good) results.push({ index: g.index, id: g.product.id, ok: true, status: statusById.get(g.product.id) ?? 'unchanged' });
    results.sort((a, b) => a.index - b.index);
    return c.json({ stored: good.length, failed: failed.length, results });
  });
}

export function registerImageRoute(app: Hono, { engine, limits, imageFetch, catalogRoot }: ServerContext, guards: AccessGuards): void {
  app.get('/v1/images/:id', guards.read, async (c) => {
    const id = c.req.param('id');
    const product = await engine.getProduct(id);
    if (!product) throw createError('PRODUCT_NOT_FOUND', `no product with id "${id}"`, { field: 'id', received: id });
    const index = Number(c.req.query('i') ?? 0);
    const ref = Number.isInteger(index) ? product.images[index] : undefined;
    if (!ref) throw createError('FILE_NOT_FOUND', `product "${id}" has no image ${index}`, { field: 'images' });
    if (/^https?:\/\//i.test(ref)) {
      if (!imageFetch) throw createError('FORBIDDEN_URL', 'this server does not fetch image URLs (start it with --allow-image-urls)', { field: 'images', received: ref });
      const bytes = await imageFetch(ref, { signal: AbortSignal.timeout(limits.imageTimeoutMs), maxBytes: limits.maxImageBytes });
      return new Response(new Uint8Array(bytes), { headers: { 'content-type': CONTENT_TYPES[extname(new URL(ref).pathname).toLowerCase()] ?? 'application/octet-stream', 'x-content-type-options': 'nosniff' } });
    }
    const baseDir = (await engine.store.getMeta('images.baseDir')) ?? catalogRoot;
    const path = under(baseDir, ref);
    if (!path || !CONTENT_TYPES[extname(path).toLowerCase()]?.startsWith('image/') || !existsSync(path)) throw createError('FILE_NOT_FOUND', `image of "${id}" not found: ${ref}`, { field: 'images', received: ref });
    return fileResponse(path, 300);
  });
}

export function registerLabelRoutes(app: Hono, { engine, limits }: ServerContext, guards: AccessGuards): void {
  app.post('/v1/labels', guards.write, async (c) => {
    const body = parseBody(labelsBodySchema, await jsonBody(c), 'labels');
    if (body.labels.length > limits.maxBatch) throw createError('LIMIT_EXCEEDED', `at most ${limits.maxBatch} labels per request`, { field: 'labels' });
    const n = await engine.store.putLabels(body.labels.map((l) => ({ leftId: l.leftId, rightId: l.rightId, label: l.label, source: l.source ?? 'manual' })));
    return c.json({ stored: n, total: await engine.store.countLabels() });
  });
  app.get('/v1/labels', guards.read, async (c) => {
    const source = c.req.query('source');
    const id = c.req.query('id');
    const labels = await engine.store.getLabels({ ...(source ? { source } : {}), ...(id ? { id } : {}) });
    return c.json({ count: labels.length, labels });
  });
}
