/**
 * ESLint rule `prodsim/stage-order`: a module under src/ imports only from its own stage or earlier
 * ones (CONTRIBUTING: catalog → text → encoders → store → similarity → learning → tasks → engine →
 * server → cli). Files at the top of src/ other than index.ts (errors.ts, random.ts) come before every
 * stage; src/index.ts, the public API, after all of them. Plain JavaScript so ESLint loads it as is.
 */
import path from 'node:path';

export const STAGES = ['(src root)', 'catalog', 'text', 'encoders', 'store', 'similarity', 'learning', 'tasks', 'engine', 'server', 'cli', '(public API)'];

/** The stage of a file under `srcDir`, or undefined for files outside it. */
export function stageOf(file, srcDir) {
  const rel = path.relative(srcDir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const parts = rel.split(path.sep);
  if (parts.length === 1) return parts[0] === 'index.ts' ? STAGES.length - 1 : 0;
  const stage = STAGES.indexOf(parts[0]);
  if (stage < 0) throw new Error(`stage-order: src/${parts[0]} is not a stage; add it to STAGES in scripts/lint/stage-order.js`);
  return stage;
}

export const stageOrderRule = {
  meta: {
    type: 'problem',
    docs: { description: 'a module imports only from its own stage or earlier ones (CONTRIBUTING.md)' },
    schema: [{ type: 'object', properties: { srcDir: { type: 'string' } }, required: ['srcDir'], additionalProperties: false }],
    messages: { later: '{{from}} must not import from a later stage ({{to}}): {{spec}}' },
  },
  create(context) {
    const { srcDir } = context.options[0];
    const file = context.filename;
    const from = stageOf(file, srcDir);
    if (from === undefined) return {};
    const check = (source) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const to = stageOf(path.resolve(path.dirname(file), source.value), srcDir);
      if (to !== undefined && to > from) context.report({ node: source, messageId: 'later', data: { from: STAGES[from], to: STAGES[to], spec: source.value } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};
