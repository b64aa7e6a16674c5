/**
 * Schemas of the server's own endpoints (products, labels, jobs). Task endpoints use the task
 * registry's schemas. Both validate requests and generate `/openapi.json`, so they cannot drift.
 */
import { z } from 'zod';
import { productInputSchema } from '../engine/task-registry.ts';
import { createError } from '../errors.ts';

export const labelInputSchema = z.strictObject({
  leftId: z.string().min(1),
  rightId: z.string().min(1),
  label: z.number().min(0).max(1).describe('1 = same product, 0 = different'),
  source: z.string().min(1).max(100).optional().describe('default "manual"'),
});

export const labelsBodySchema = z.strictObject({ labels: z.array(labelInputSchema).min(1) });

export const productBatchSchema = z.strictObject({ products: z.array(z.unknown()).describe('product records; each is validated on its own') });

const catalogPath = z.string().min(1).describe('path of a catalog file on the server (under its catalog root)');

export const ingestJobSchema = z.strictObject({ path: catalogPath, refit: z.boolean().optional() });

export const trainJobSchema = z.strictObject({
  classifier: z.enum(['gbdt', 'logistic', 'ensemble']).optional(),
  source: z.string().optional().describe('only labels of this source (default: all)'),
  left: catalogPath.optional().describe('catalog the labels’ left ids come from (default: the store)'),
  right: catalogPath.optional().describe('catalog the labels’ right ids come from (default: the store)'),
  validShare: z.number().gt(0).lt(1).optional(),
});

export const evalJobSchema = z.strictObject({
  pairs: catalogPath.optional().describe('labelled pairs CSV (left_id,right_id,label); default: the stored labels'),
  source: z.string().optional(),
  left: catalogPath.optional(),
  right: catalogPath.optional(),
  title: z.string().max(200).optional(),
});

export { productInputSchema };

/** Parses with a schema; the error names the first bad field (400 INVALID_ARGUMENT). */
export function parseBody<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys.join(', ') : '');
  const expected = 'expected' in issue && typeof issue.expected === 'string' ? issue.expected : undefined;
  const message = `${where}: ${field ? `${field}: ` : ''}${issue.message}${parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : ''}`;
  throw createError('INVALID_ARGUMENT', message, { ...(field ? { field } : {}), ...(expected ? { expected } : {}) });
}
