/**
 * The one error catalogue of prodsim. Every error a user can act on has a typed code here;
 * the HTTP server maps codes to statuses and the CLI maps them to exit codes, so both stay in
 * step. Errors reach people through those two and a job's failed state; other catches wrap a
 * library's error in a code, clean up and rethrow, or turn an expected failure into a value
 * (CONTRIBUTING.md, "Errors").
 */
export const ERROR_CATALOGUE = {
  INVALID_ARGUMENT: { status: 400, exitCode: 2, summary: 'an argument or option is not valid' },
  UNKNOWN_OPTION: { status: 400, exitCode: 2, summary: 'an option key is not known' },
  INVALID_RECORD: { status: 422, exitCode: 65, summary: 'a catalog record failed validation' },
  PARSE_ERROR: { status: 400, exitCode: 65, summary: 'an input file could not be parsed' },
  FILE_NOT_FOUND: { status: 404, exitCode: 66, summary: 'a file does not exist or cannot be read' },
  UNSUPPORTED_FORMAT: { status: 415, exitCode: 65, summary: 'the input format is not supported' },
  PRODUCT_NOT_FOUND: { status: 404, exitCode: 3, summary: 'no product with that id' },
  DIM_MISMATCH: { status: 400, exitCode: 65, summary: 'vector dimensions do not agree' },
  ENCODER_UNAVAILABLE: { status: 503, exitCode: 69, summary: 'an encoder could not be loaded' },
  MODEL_NOT_FOUND: { status: 404, exitCode: 66, summary: 'a model file or folder is missing' },
  IMAGE_ERROR: { status: 422, exitCode: 65, summary: 'an image could not be read or decoded' },
  STORE_ERROR: { status: 500, exitCode: 74, summary: 'the store could not be read or written' },
  STORE_UNAVAILABLE: { status: 503, exitCode: 69, summary: 'the store\'s database server cannot be reached' },
  INDEX_STALE: { status: 409, exitCode: 75, summary: 'an index does not match the store' },
  UNAUTHORIZED: { status: 401, exitCode: 77, summary: 'a valid token is required' },
  LIMIT_EXCEEDED: { status: 413, exitCode: 2, summary: 'a size or count limit was exceeded' },
  FORBIDDEN_URL: { status: 403, exitCode: 77, summary: 'fetching that URL is not allowed' },
  NOT_TRAINED: { status: 409, exitCode: 75, summary: 'a model must be trained first' },
  DATASET_MISSING: { status: 404, exitCode: 66, summary: 'a benchmark dataset is not present' },
  CANCELLED: { status: 409, exitCode: 75, summary: 'the work was cancelled before it finished' },
  INTERNAL: { status: 500, exitCode: 70, summary: 'an unexpected internal error' },
} as const satisfies Record<string, { status: number; exitCode: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Where in an input the problem is: enough for a user to open the file and fix it. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  field?: string;
  expected?: string;
  received?: string;
}

export class ProdsimError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, location?: ErrorLocation, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ProdsimError';
    this.code = code;
    this.location = location;
    this.details = details;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  get exitCode(): number {
    return ERROR_CATALOGUE[this.code].exitCode;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...(this.location ? { location: this.location } : {}), ...(this.details ? { details: this.details } : {}) };
  }
}

export function createError(
  code: ErrorCode,
  message: string,
  location?: ErrorLocation,
  details?: Record<string, unknown>,
): ProdsimError {
  return new ProdsimError(code, message, location, details);
}

export function isProdsimError(value: unknown): value is ProdsimError {
  return value instanceof ProdsimError;
}

/** Formats a location as `file:line field "x": expected …` for messages shown to people. */
export function formatLocation(loc: ErrorLocation | undefined): string {
  if (!loc) return '';
  const parts: string[] = [];
  if (loc.file) parts.push(loc.line !== undefined ? `${loc.file}:${loc.line}` : loc.file);
  else if (loc.line !== undefined) parts.push(`line ${loc.line}`);
  if (loc.field) parts.push(`field "${loc.field}"`);
  if (loc.expected) parts.push(`expected ${loc.expected}`);
  if (loc.received !== undefined) parts.push(`got ${loc.received}`);
  return parts.join(' ');
}

/** Rejects keys an options object does not know, so a typo never silently falls back to a default. */
export function rejectUnknownKeys(given: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      throw createError('UNKNOWN_OPTION', `${where}: unknown option "${key}" (known: ${known.join(', ')})`, { field: key });
    }
  }
}
