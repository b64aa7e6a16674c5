/** Request and response helpers of the HTTP server: tokens, JSON bodies, files. */
import { readFileSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { createError } from '../errors.ts';

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json',
};

export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function bearer(c: Context): string | undefined {
  const h = c.req.header('authorization');
  const m = h ? /^Bearer\s+(.+)$/i.exec(h) : null;
  return m?.[1]?.trim();
}

/** `application/json`, with or without parameters, or a `+json` media type. */
function isJsonContentType(header: string | undefined): boolean {
  const type = header?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

export async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  // A form or text body is not read as JSON: a browser sends those cross-site without a preflight.
  if (!isJsonContentType(c.req.header('content-type'))) {
    throw createError('UNSUPPORTED_FORMAT', `request bodies are JSON: send "Content-Type: application/json" (got ${c.req.header('content-type') ?? 'none'})`, { field: 'content-type', expected: 'application/json' });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    // Into a catalogue error: JSON.parse's error becomes PARSE_ERROR (a 400).
    throw createError('PARSE_ERROR', `request body is not JSON: ${(e as Error).message}`);
  }
}

export function fileResponse(path: string, cacheSeconds = 0): Response {
  const type = CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
  return new Response(readFileSync(path), { headers: { 'content-type': type, 'cache-control': cacheSeconds > 0 ? `max-age=${cacheSeconds}` : 'no-cache', 'x-content-type-options': 'nosniff' } });
}

/** `child` resolved under `root`, or undefined when it would leave it. */
export function under(root: string, child: string): string | undefined {
  const full = resolve(root, child);
  const rel = relative(root, full);
  return rel.startsWith('..') || isAbsolute(rel) ? undefined : full;
}
