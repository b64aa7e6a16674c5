/**
 * `/openapi.json`, generated from the same zod schemas that validate requests: the task registry's
 * input schemas and the server's own (`schemas.ts`).
 */
import { z } from 'zod';
import { TASK_LIST, type TaskName } from '../engine/task-registry.ts';
import { ERROR_CATALOGUE } from '../errors.ts';
import { evalJobSchema, ingestJobSchema, labelsBodySchema, productBatchSchema, productInputSchema, trainJobSchema } from './schemas.ts';
import type { ServerLimits } from './server-options.ts';
import { isLongTask } from './task-jobs.ts';

type JsonSchema = Record<string, unknown>;

function schemaOf(s: z.ZodType): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const errorRef = { $ref: '#/components/schemas/Error' };
const errorResponses = (codes: number[]) =>
  Object.fromEntries(codes.map((code) => [String(code), { description: Object.entries(ERROR_CATALOGUE).filter(([, e]) => e.status === code).map(([name]) => name).join(', ') || 'error', content: { 'application/json': { schema: errorRef } } }]));

function jsonBody(schema: JsonSchema | { $ref: string }) {
  return { required: true, content: { 'application/json': { schema } } };
}

const ok = (description: string, schema: JsonSchema = { type: 'object' }) => ({ description, content: { 'application/json': { schema } } });

export function buildOpenApiDocument({ limits }: { limits: ServerLimits }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const read = [{ readToken: [] }, {}];
  const write = [{ writeToken: [] }];

  for (const t of TASK_LIST) {
    paths[`/v1/${t.path}`] = {
      post: {
        operationId: t.name,
        summary: t.summary,
        tags: ['tasks'],
        // dedup and match above a bound answer 202 with a job, and then need a token (task-jobs.ts).
        security: t.writes ? write : read,
        requestBody: jsonBody({ $ref: `#/components/schemas/${t.name}Input` }),
        responses: {
          '200': ok(`${t.name} result`),
          ...(isLongTask(t.name as TaskName) ? { '202': ok('above the synchronous bound (token holders only): the job (poll GET /v1/jobs/{id}, the Location header)', { $ref: '#/components/schemas/Job' }) } : {}),
          ...errorResponses([400, 401, 404, 413, 422]),
        },
      },
    };
  }

  paths['/health'] = { get: { operationId: 'health', summary: 'liveness: answers without asking the store', responses: { '200': ok('ok') } } };
  paths['/metrics'] = { get: { operationId: 'metrics', summary: 'request counts, latency percentiles per route, store counts', security: read, responses: { '200': ok('metrics') } } };
  paths['/openapi.json'] = { get: { operationId: 'openapi', summary: 'this document', responses: { '200': ok('OpenAPI 3.1 document') } } };

  const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
  paths['/v1/products'] = {
    post: {
      operationId: 'upsertProducts',
      summary: `upsert a batch (at most ${limits.maxBatch}); each record is validated on its own, good ones are stored, bad ones are reported with the field`,
      tags: ['products'],
      security: write,
      requestBody: jsonBody({ $ref: '#/components/schemas/ProductBatch' }),
      responses: { '200': ok('per-record results', { $ref: '#/components/schemas/BatchResult' }), ...errorResponses([400, 401, 413]) },
    },
  };
  paths['/v1/products/{id}'] = {
    get: { operationId: 'getProduct', tags: ['products'], security: read, parameters: idParam, responses: { '200': ok('the product'), ...errorResponses([401, 404]) } },
    put: { operationId: 'putProduct', tags: ['products'], security: write, parameters: idParam, requestBody: jsonBody({ $ref: '#/components/schemas/Product' }), responses: { '200': ok('stored'), ...errorResponses([400, 401, 413, 422]) } },
    delete: { operationId: 'deleteProduct', tags: ['products'], security: write, parameters: idParam, responses: { '200': ok('deleted'), ...errorResponses([401, 404]) } },
  };
  paths['/v1/images/{id}'] = {
    get: { operationId: 'productImage', summary: "the product's image (local file, or a URL fetched under the URL policy)", tags: ['products'], security: read, parameters: [...idParam, { name: 'i', in: 'query', schema: { type: 'integer', minimum: 0 } }], responses: { '200': { description: 'image bytes' }, ...errorResponses([403, 404, 413]) } },
  };
  paths['/v1/labels'] = {
    post: { operationId: 'putLabels', summary: 'store pair labels (used by train jobs)', tags: ['labels'], security: write, requestBody: jsonBody({ $ref: '#/components/schemas/Labels' }), responses: { '200': ok('stored'), ...errorResponses([400, 401, 413]) } },
    get: { operationId: 'getLabels', tags: ['labels'], security: read, parameters: [{ name: 'source', in: 'query', schema: { type: 'string' } }, { name: 'id', in: 'query', schema: { type: 'string' } }], responses: { '200': ok('labels') } },
  };
  const jobPost = (name: string, schema: string, security: unknown) => ({
    post: { operationId: `${name}Job`, summary: `start a ${name} job in the background; poll GET /v1/jobs/{id}`, tags: ['jobs'], security, requestBody: jsonBody({ $ref: `#/components/schemas/${schema}` }), responses: { '202': ok('the job', { $ref: '#/components/schemas/Job' }), ...errorResponses([400, 401, 404]) } },
  });
  paths['/v1/jobs/ingest'] = jobPost('ingest', 'IngestJob', write);
  const tokenHolders = [{ readToken: [] }, { writeToken: [] }];
  paths['/v1/jobs/match'] = jobPost('match', 'matchInput', tokenHolders);
  paths['/v1/jobs/dedup'] = jobPost('dedup', 'dedupInput', tokenHolders);
  paths['/v1/jobs/{id}/cancel'] = { post: { operationId: 'cancelJob', summary: 'cancel a queued or running job (`cancelled: false` when it already ended)', tags: ['jobs'], security: tokenHolders, parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': ok('the job and whether it was cancelled'), ...errorResponses([401, 404]) } } };
  paths['/v1/jobs/train'] = jobPost('train', 'TrainJob', write);
  paths['/v1/jobs/eval'] = jobPost('eval', 'EvalJob', write);
  paths['/v1/jobs/{id}'] = { get: { operationId: 'getJob', tags: ['jobs'], security: read, parameters: idParam, responses: { '200': ok('state, progress (done/total, items/s, ETA) and result', { $ref: '#/components/schemas/Job' }), ...errorResponses([404]) } } };

  const schemas: Record<string, unknown> = {
    Error: {
      type: 'object',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', enum: [...Object.keys(ERROR_CATALOGUE), 'NOT_FOUND'] },
            message: { type: 'string' },
            location: { type: 'object', properties: { file: { type: 'string' }, line: { type: 'integer' }, field: { type: 'string' }, expected: { type: 'string' }, received: { type: 'string' } } },
          },
        },
      },
    },
    Product: schemaOf(productInputSchema),
    ProductBatch: schemaOf(productBatchSchema),
    BatchResult: {
      type: 'object',
      properties: {
        stored: { type: 'integer' },
        failed: { type: 'integer' },
        results: {
          type: 'array',
          items: { type: 'object', properties: { index: { type: 'integer' }, id: { type: ['string', 'null'] }, ok: { type: 'boolean' }, status: { type: 'string', enum: ['added', 'updated', 'unchanged'] }, error: { type: 'object', properties: { code: { type: 'string' }, field: { type: 'string' }, expected: { type: 'string' }, message: { type: 'string' } } } } },
        },
      },
    },
    Labels: schemaOf(labelsBodySchema),
    IngestJob: schemaOf(ingestJobSchema),
    TrainJob: schemaOf(trainJobSchema),
    EvalJob: schemaOf(evalJobSchema),
    Job: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        kind: { type: 'string' },
        state: { type: 'string', enum: ['queued', 'running', 'done', 'failed', 'cancelled'] },
        deadline: { type: 'string', description: 'when a running job is stopped (ISO time)' },
        progress: { type: 'object', properties: { stage: { type: 'string' }, done: { type: 'number' }, total: { type: 'number' }, itemsPerSecond: { type: 'number' }, etaSeconds: { type: 'number' } } },
        result: {},
        error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
      },
    },
  };
  for (const t of TASK_LIST) {
    const schema = schemaOf(t.input);
    // The server's own bound on k (limits.maxK, what it enforces): the task schema's unless the server set it lower.
    const k = (schema.properties as Record<string, JsonSchema> | undefined)?.k;
    if (k) k.maximum = Math.min(Number(k.maximum ?? Infinity), limits.maxK);
    schemas[`${t.name}Input`] = schema;
  }

  return {
    openapi: '3.1.0',
    info: { title: 'prodsim', version: '0.1.0', description: `Product similarity API. Limits: body ${limits.maxBodyBytes} bytes, batch ${limits.maxBatch}, k ≤ ${limits.maxK}.` },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        writeToken: { type: 'http', scheme: 'bearer', description: 'required for writes' },
        readToken: { type: 'http', scheme: 'bearer', description: 'required for reads when the server sets a read token' },
      },
    },
  };
}
