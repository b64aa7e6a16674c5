/** The PostgreSQL store's options, and the URL that chooses it (`--store`, `PRODSIM_STORE`). */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { DEFAULT_CHANGE_LOG_LIMIT } from '../store.ts';

export interface PostgresStoreOptions {
  /**
   * `postgres://user:password@host:port/database`; `?schema=name` keeps the tables in that schema,
   * `?distributed=true` asks for the Citus layout (as `distributed` does: for the CLI's `--store`).
   */
  url: string;
  /** On a new database: distribute the product tables with Citus (the extension must be installed). */
  distributed: boolean;
  /** Connections in the pool. */
  poolSize: number;
  connectTimeoutMs: number;
  /** Server-side limit of one statement. */
  statementTimeoutMs: number;
  /** Attempts of a call that lost its connection (outside transactions), with growing waits between. */
  retries: number;
  /** Rows the product change log keeps (older ones are trimmed, in steps of a tenth of this), as in the SQLite store. */
  changeLogLimit: number;
}

export const DEFAULT_POSTGRES_STORE_OPTIONS = {
  url: 'postgres://localhost:5432/prodsim',
  distributed: false,
  poolSize: 8,
  connectTimeoutMs: 5_000,
  statementTimeoutMs: 60_000,
  retries: 3,
  changeLogLimit: DEFAULT_CHANGE_LOG_LIMIT,
} as const satisfies PostgresStoreOptions;

/** True for a `postgres://` or `postgresql://` URL: what `--store` and `PRODSIM_STORE` choose this store by. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//iu.test(value);
}

/** The URL without its password, for messages and `path`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Expected failure as a value: a URL that does not parse is shown as unparsable, never with its password.
    return 'postgres://(unparsable url)';
  }
}

/** The options filled in, and the URL split: `schema` and `distributed` are prodsim's parameters, not the driver's. */
export interface ResolvedPostgresOptions {
  readonly opts: PostgresStoreOptions;
  /** The URL without its password: the store's `path`, and what its errors name. */
  readonly where: string;
  /** The SQL schema the tables live in (`?schema=`), checked to be a plain identifier. */
  readonly schema: string | undefined;
  /** The URL the driver connects to. */
  readonly connectionString: string;
}

export function resolvePostgresOptions(options: Partial<PostgresStoreOptions> & Pick<PostgresStoreOptions, 'url'>): ResolvedPostgresOptions {
  rejectUnknownKeys(options, Object.keys(DEFAULT_POSTGRES_STORE_OPTIONS), 'createPostgresStore');
  const opts: PostgresStoreOptions = { ...DEFAULT_POSTGRES_STORE_OPTIONS, ...options };
  const where = redactUrl(opts.url);
  const url = new URL(opts.url);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  const distributedParam = url.searchParams.get('distributed');
  url.searchParams.delete('distributed');
  if (distributedParam !== null) opts.distributed = distributedParam === 'true' || distributedParam === '1';
  if (!Number.isInteger(opts.changeLogLimit) || opts.changeLogLimit < 1) {
    throw createError('INVALID_ARGUMENT', 'changeLogLimit must be a positive integer', { field: 'changeLogLimit', received: String(opts.changeLogLimit) });
  }
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/u.test(schema)) {
    throw createError('INVALID_ARGUMENT', `schema "${schema}" in the store URL must be a lower-case SQL identifier`, { field: 'store', received: schema });
  }
  return { opts, where, schema, connectionString: url.toString() };
}
