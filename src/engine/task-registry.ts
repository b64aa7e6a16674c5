/**
 * The frozen task registry: every application prodsim offers, with the schema of its input and
 * the one function that runs it. The CLI and the HTTP server both dispatch from here, so they cannot
 * drift; the OpenAPI document is generated from the same schemas that validate requests.
 */
import { z } from 'zod';
import type { Product } from '../catalog/product.ts';
import { recordToProduct } from '../catalog/record-to-product.ts';
import { createError } from '../errors.ts';
import { defined } from '../defined.ts';
import { DEFAULT_K } from '../tasks/result-item.ts';
import type { Engine } from './engine.ts';

/** Bounds on what one request may ask for (HTTP and CLI alike). */
export const TASK_LIMITS = Object.freeze({ maxK: 200, maxHistory: 200, maxInlineProducts: 10_000, maxQueryLength: 500, maxJudgments: 100_000 });

const k = z.number().int().min(1).max(TASK_LIMITS.maxK).optional().describe(`number of results (default ${DEFAULT_K})`);
const filter = z
  .strictObject({
    category: z.string().optional().describe('category path prefix, by whole levels'),
    minPrice: z.number().nonnegative().optional(),
    maxPrice: z.number().nonnegative().optional(),
    brand: z.string().optional().describe('brand, alias-aware (苹果 ≡ Apple)'),
    inStock: z.boolean().optional(),
  })
  .optional();
const profile = z
  .union([z.enum(['default', 'similarStyle', 'sameProduct']), z.string().regex(/\.json$/, 'a profile file ends in .json')])
  .optional()
  .describe('fusion profile: a built-in name or a JSON file from `prodsim train --profile`');

/** A product as JSON; coerced and validated like a catalog record. */
export const productInputSchema = z
  .looseObject({
    id: z.union([z.string(), z.number()]),
    title: z.string(),
    description: z.string().optional(),
    tags: z.union([z.array(z.string()), z.string()]).optional(),
    brand: z.string().optional(),
    category: z.string().optional(),
    price: z.union([z.number(), z.string()]).optional(),
    currency: z.string().optional(),
    images: z.union([z.array(z.string()), z.string()]).optional(),
    attributes: z.union([z.record(z.string(), z.string()), z.string()]).optional(),
    inStock: z.union([z.boolean(), z.string(), z.number()]).optional(),
  })
  .describe('a product record (same coercions as catalog files)');

export function toProduct(record: Record<string, unknown>, where = 'product'): Product {
  const converted = recordToProduct(record, { mapping: {}, guessFieldNames: false, extraFieldsAsAttributes: false });
  if (!converted.ok) {
    const first = converted.problems[0]!;
    throw createError('INVALID_RECORD', `${where}: ${converted.problems.map((p) => p.message).join('; ')}`, {
      field: first.field,
      expected: first.expected,
      received: first.received,
    });
  }
  return converted.product;
}

const catalogSource = z.union([z.string().describe('path of a catalog file on the server'), z.array(productInputSchema).max(TASK_LIMITS.maxInlineProducts)]);
const toSource = (s: z.infer<typeof catalogSource>) => (typeof s === 'string' ? s : s.map((r, i) => toProduct(r, `product ${i + 1}`)));

/** What a caller may pass to a long task: where progress goes (done of total, in the task's unit), and a signal that stops it. */
export interface TaskContext {
  /** `stage` names the part of the work when a task has several (training: featurise, trees, threshold). */
  onProgress?: ((done: number, total: number, stage?: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export interface TaskDefinition<S extends z.ZodType, O> {
  readonly name: string;
  readonly summary: string;
  readonly input: S;
  /** HTTP route: POST /v1/<path>. */
  readonly path: string;
  /** The task changes the store: over HTTP it needs the write token. */
  readonly writes?: true;
  run(engine: Engine, input: z.output<S>, context?: TaskContext): Promise<O>;
}

function defineTask<S extends z.ZodType, O>(t: TaskDefinition<S, O>): TaskDefinition<S, O> {
  return Object.freeze(t);
}

const model = z.string().optional().describe('a matcher model file from `prodsim train` (ranks and decides instead of the fused score)');
const similarInput = z.strictObject({
  id: z.string().min(1),
  k,
  filter,
  substitutes: z.boolean().optional(),
  profile,
  timings: z.boolean().optional(),
  minScore: z.number().min(0).max(1).optional().describe('items below are left out; none left → noGoodMatch'),
  model,
});
const searchInput = z.strictObject({
  query: z.string().min(1).max(TASK_LIMITS.maxQueryLength),
  k,
  filter,
  fusion: z.enum(['rrf', 'weighted']).optional(),
  rerank: z.enum(['none', 'fields', 'cross-encoder']).optional(),
  ranker: z.string().regex(/\.json$/, 'a ranker file ends in .json').optional().describe('a learned ranker from `prodsim train-ranker`: reranks the candidates instead of `rerank`'),
  explain: z.boolean().optional(),
  timings: z.boolean().optional(),
});
const tagSimilarityInput = z.strictObject({ a: z.string().min(1), b: z.string().min(1), threshold: z.number().min(0).max(1).optional() });
const tagGroupsInput = z.strictObject({ threshold: z.number().min(0).max(1).optional(), maxTags: z.number().int().min(1).max(5_000).optional(), minCount: z.number().int().min(1).optional() });
const matchInput = z.strictObject({
  left: catalogSource,
  right: catalogSource,
  threshold: z.number().min(0).max(1).optional(),
  oneToOne: z.boolean().optional(),
  blockK: z.number().int().min(1).max(100).optional(),
  profile,
  model,
});
const dedupInput = z.strictObject({ catalog: catalogSource.optional(), threshold: z.number().min(0).max(1).optional(), blockK: z.number().int().min(1).max(100).optional(), profile, model });
const historyItem = z.union([z.string().min(1), z.strictObject({ id: z.string().min(1), event: z.enum(['view', 'cart', 'buy']).optional() })]);
const recommendInput = z.strictObject({
  history: z.array(historyItem).min(1).max(TASK_LIMITS.maxHistory),
  k,
  filter,
  lambda: z.number().min(0).max(1).optional().describe('MMR: 1 = relevance only, 0 = diversity only'),
  inStockOnly: z.boolean().optional(),
  model,
});
const coldStartInput = z.strictObject({ product: productInputSchema, k, filter });
const encodeInput = z.strictObject({ text: z.string().min(1).max(TASK_LIMITS.maxQueryLength), k });
const judgment = z.strictObject({ query: z.string().min(1).max(TASK_LIMITS.maxQueryLength), productId: z.string().min(1), relevance: z.number() });
const trainRankerInput = z.strictObject({
  judgments: z
    .union([z.string().describe('a judgment file on the server: `query,product_id,relevance` CSV, or TREC qrels with `queries`'), z.array(judgment).min(1).max(TASK_LIMITS.maxJudgments)])
    .describe('graded judgments of stored products'),
  queries: z.string().optional().describe('with qrels: the `qid<TAB>query` file'),
  irrelevantGrade: z.number().optional().describe('the grade meaning irrelevant (CrowdFlower 1, qrels 0); default 0'),
  negatives: z.union([z.number().int().min(0).max(TASK_LIMITS.maxK), z.literal('auto')]).optional().describe('unjudged search candidates per query taken as irrelevant; auto: 30 for queries judged at one grade only'),
  validationShare: z.number().min(0).max(0.5).optional().describe('share of the queries held out for early stopping (default 0: a fixed 200 trees)'),
});
const pairSelection = {
  pairs: z.string().optional().describe('labelled pairs file on the server (CSV `ltable_id,rtable_id,label` or `left_*`/`right_*`, JSONL, Ditto); default: the stored labels'),
  format: z.enum(['csv', 'jsonl', 'ditto']).optional().describe('pairs file format (default: from the name and first line)'),
  left: z.string().optional().describe('catalog the left ids come from (before the store)'),
  right: z.string().optional().describe('catalog the right ids come from (before the store)'),
  source: z.string().optional().describe('without `pairs`: only stored labels of this source'),
};
const trainMatcherInput = z.strictObject({
  ...pairSelection,
  valid: z.string().optional().describe('validation pairs file (default: validShare of the pairs held out)'),
  validShare: z.number().gt(0).lt(1).optional(),
  classifier: z.enum(['gbdt', 'logistic', 'ensemble']).optional(),
  fusionProfile: z.boolean().optional().describe('also learn the fusion profile the applications use without a model'),
});
const matcherFile = z.string().min(1).describe('a matcher model file from `prodsim train` / trainMatcher');
const evalMatcherInput = z.strictObject({ ...pairSelection, model: matcherFile });
const applyMatcherInput = z.strictObject({ ...pairSelection, model: matcherFile, threshold: z.number().min(0).max(1).optional().describe("decision threshold (default: the model's)") });
const priceInput = z.strictObject({ id: z.string().min(1), k, minScore: z.number().min(0).max(1).optional() });


export const TASKS = Object.freeze({
  similar: defineTask({
    name: 'similar',
    summary: 'similar products (or in-stock substitutes) of a stored product, with per-field explanations',
    input: similarInput,
    path: 'similar',
    run: (engine, i) => engine.similar(defined(i)),
  }),
  search: defineTask({
    name: 'search',
    summary: 'hybrid search (BM25 + dense + model numbers), fused by RRF, reranked',
    input: searchInput,
    path: 'search',
    run: (engine, i) => engine.search(defined(i)),
  }),
  tagSimilarity: defineTask({
    name: 'tagSimilarity',
    summary: 'similarity of two tags with a similar / not decision',
    input: tagSimilarityInput,
    path: 'tags/similarity',
    run: (engine, i) => engine.tagSimilarity(i.a, i.b, defined({ threshold: i.threshold })),
  }),
  tagGroups: defineTask({
    name: 'tagGroups',
    summary: 'synonym groups of the catalog tags',
    input: tagGroupsInput,
    path: 'tags/groups',
    run: (engine, i) => engine.tagGroups(defined(i)),
  }),
  match: defineTask({
    name: 'match',
    summary: 'match the same products across two catalogs',
    input: matchInput,
    path: 'match',
    run: (engine, i, context = {}) =>
      engine.match(toSource(i.left), toSource(i.right), defined({ threshold: i.threshold, oneToOne: i.oneToOne, blockK: i.blockK, profile: i.profile, model: i.model, onProgress: context.onProgress, signal: context.signal })),
  }),
  dedup: defineTask({
    name: 'dedup',
    summary: 'duplicate groups inside one catalog (default: the store)',
    input: dedupInput,
    path: 'dedup',
    run: (engine, i, context = {}) =>
      engine.dedup(
        i.catalog === undefined ? undefined : toSource(i.catalog),
        defined({ threshold: i.threshold, blockK: i.blockK, profile: i.profile, model: i.model, onProgress: context.onProgress, signal: context.signal }),
      ),
  }),
  recommend: defineTask({
    name: 'recommend',
    summary: "recommendations from a user's history, diversified",
    input: recommendInput,
    path: 'recommend',
    run: (engine, i) => engine.recommend(defined({ ...i, history: i.history.map((h) => (typeof h === 'string' ? h : defined(h))) })),
  }),
  coldStart: defineTask({
    name: 'coldStart',
    summary: 'neighbours of a new product that is not in the store',
    input: coldStartInput,
    path: 'cold-start',
    run: (engine, i) => engine.coldStart(defined({ product: toProduct(i.product), k: i.k, filter: i.filter })),
  }),
  encode: defineTask({
    name: 'encode',
    summary: "a text's tokens, SIF weights, vector norm, nearest words and products",
    input: encodeInput,
    path: 'encode',
    run: (engine, i) => engine.inspectText(i.text, i.k),
  }),
  trainRanker: defineTask({
    name: 'trainRanker',
    summary: 'learn a search ranker (LambdaMART over query–product features) from graded judgments; returns the model for `search --ranker`',
    input: trainRankerInput,
    path: 'train-ranker',
    run: (engine, i) =>
      engine.trainRanker(i.judgments, defined({ queries: i.queries, irrelevantGrade: i.irrelevantGrade, negatives: i.negatives, ranker: i.validationShare === undefined ? undefined : { validationShare: i.validationShare } })),
  }),
  trainMatcher: defineTask({
    name: 'trainMatcher',
    summary: 'learn a matcher (pair features, boosted trees, threshold on validation pairs) from labelled pairs: a pairs file or the stored labels; returns the model',
    input: trainMatcherInput,
    path: 'matcher/train',
    run: (engine, i, context = {}) => engine.trainMatcher(defined(i), defined({ onProgress: context.onProgress && ((stage: string, done: number, total: number) => context.onProgress!(done, total, stage)) })),
  }),
  evalMatcher: defineTask({
    name: 'evalMatcher',
    summary: 'precision, recall, F1, PR-AUC of a matcher model on labelled pairs; warns about pairs it was trained on',
    input: evalMatcherInput,
    path: 'matcher/eval',
    run: (engine, i) => engine.evalMatcher(defined(i)),
  }),
  applyMatcher: defineTask({
    name: 'applyMatcher',
    summary: 'match probability and decision of a matcher model for each pair',
    input: applyMatcherInput,
    path: 'matcher/apply',
    run: (engine, i) => engine.applyMatcher(defined(i)),
  }),
  vacuum: defineTask({
    name: 'vacuum',
    summary: 'removes vectors of superseded text spaces and compacts the store file',
    input: z.strictObject({}),
    path: 'vacuum',
    writes: true,
    run: (engine) => engine.vacuum(),
  }),
  price: defineTask({
    name: 'price',
    summary: 'price reference (weighted median, 10–90% band) from the most similar products',
    input: priceInput,
    path: 'price',
    run: (engine, i) => engine.price(defined(i)),
  }),
});

export type TaskName = keyof typeof TASKS;
/** What a task accepts before validation: a JSON body, or what the CLI gathers from its flags. */
export type TaskInput<N extends TaskName> = z.input<(typeof TASKS)[N]['input']>;
/** A task's input after validation, with the schema's defaults filled in. */
export type ParsedTaskInput<N extends TaskName> = z.output<(typeof TASKS)[N]['input']>;
/** What a task resolves to. */
export type TaskOutput<N extends TaskName> = Awaited<ReturnType<(typeof TASKS)[N]['run']>>;

/** TASKS seen name by name: indexing it with a generic name keeps that task's input and output types. */
const TASK_BY_NAME: { readonly [N in TaskName]: TaskDefinition<(typeof TASKS)[N]['input'], TaskOutput<N>> } = TASKS;

/** Every task's name, summary, route and input schema, for the HTTP routes and the OpenAPI document. */
export const TASK_LIST: readonly Omit<TaskDefinition<z.ZodType, unknown>, 'run'>[] = Object.values(TASKS);

/** Validates raw input against a task's schema; errors name the field and what was expected. */
export function parseTaskInput<N extends TaskName>(name: N, raw: unknown): ParsedTaskInput<N> {
  const task = TASKS[name];
  const parsed = task.input.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys.join(', ') : '');
    throw createError('INVALID_ARGUMENT', `${task.name}: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`, { ...(field ? { field } : {}) });
  }
  return parsed.data as ParsedTaskInput<N>;
}

/** Runs a task on input that `parseTaskInput` has validated (the server confines paths in between). */
export function runParsedTask<N extends TaskName>(engine: Engine, name: N, input: ParsedTaskInput<N>, context: TaskContext = {}): Promise<TaskOutput<N>> {
  return TASK_BY_NAME[name].run(engine, input, context);
}

/** Validates `raw` (see `parseTaskInput`) and runs the task. */
export async function runTask<N extends TaskName>(engine: Engine, name: N, raw: unknown, context: TaskContext = {}): Promise<TaskOutput<N>> {
  return runParsedTask(engine, name, parseTaskInput(name, raw), context);
}
