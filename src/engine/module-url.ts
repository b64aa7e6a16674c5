/**
 * Module files named by URL at run time (worker-thread entries, modules a thread imports). From the
 * sources, run through tsx, they are `.ts` files, and a worker registers tsx itself first (a worker
 * does not inherit the launcher's loader: the `*-entry.mjs` files); from the compiled `dist/` they
 * are plain `.js`, which a worker loads without any loader.
 */
const FROM_SOURCES = import.meta.url.endsWith('.ts');

/** A sibling of `base` by its source name (`./learning-jobs.ts`): that file, or its compiled `.js` in dist/. */
export function moduleUrl(sourceName: string, base: string): URL {
  return new URL(FROM_SOURCES ? sourceName : sourceName.replace(/\.ts$/, '.js'), base);
}

/**
 * The entry of a worker thread whose code is `./<name>-worker.ts` beside `base`: from the sources
 * `./<name>-entry.mjs` (registers tsx, then imports the worker), from dist/ the compiled worker.
 */
export function workerEntryUrl(name: string, base: string): URL {
  return new URL(FROM_SOURCES ? `./${name}-entry.mjs` : `./${name}-worker.js`, base);
}
