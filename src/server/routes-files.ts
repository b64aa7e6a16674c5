/** Evaluation and benchmark reports, and the web UI (plain files, nothing from a CDN). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import { createError } from '../errors.ts';
import { fileResponse, under } from './http.ts';
import type { AccessGuards, ServerContext } from './server-context.ts';

const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));

export function registerReportRoutes(app: Hono, { evalDir, reportsDir }: ServerContext, guards: AccessGuards): void {
  const reportDirs = { eval: evalDir, benchmarks: reportsDir } as const;
  app.get('/v1/reports', guards.read, (c) => {
    const list = [];
    for (const [dir, path] of Object.entries(reportDirs)) {
      if (!existsSync(path)) continue;
      for (const name of readdirSync(path)) {
        if (!name.endsWith('.md')) continue;
        list.push({ dir, name, modified: statSync(join(path, name)).mtime.toISOString() });
      }
    }
    list.sort((a, b) => b.modified.localeCompare(a.modified));
    return c.json({ reports: list });
  });
  app.get('/v1/reports/:dir/:name', guards.read, (c) => {
    // Own keys only: `__proto__` or `constructor` must not reach Object.prototype.
    const dir = c.req.param('dir');
    const root = Object.hasOwn(reportDirs, dir) ? reportDirs[dir as keyof typeof reportDirs] : undefined;
    const name = basename(c.req.param('name'));
    const ext = extname(name).toLowerCase();
    if (!root || (ext !== '.md' && ext !== '.svg') || !existsSync(join(root, name))) throw createError('FILE_NOT_FOUND', `no report ${c.req.param('dir')}/${name}`, { field: 'name' });
    return fileResponse(join(root, name));
  });
}

export function registerWebRoutes(app: Hono): void {
  app.get('/*', (c, next) => {
    if (c.req.path.startsWith('/v1/')) return next();
    const rel = c.req.path === '/' ? 'index.html' : c.req.path.slice(1);
    const path = under(WEB_DIR, rel);
    if (path && existsSync(path) && statSync(path).isFile()) return fileResponse(path);
    // Client-side pages (#/product/…) all load index.html; unknown files are 404.
    return next();
  });
}
