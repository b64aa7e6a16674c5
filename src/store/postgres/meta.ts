/** The store's own rows of `prodsim_meta`: any key, the products' revision. */
import { randomUUID } from 'node:crypto';
import { query } from './connection.ts';
import { PG_META, type AnnLayout } from './schema.ts';
import type { PgStoreState } from './state.ts';

export const getMeta = async (s: PgStoreState, key: string) => (await query<{ value: string }>(s, `SELECT value FROM prodsim_meta WHERE key = $1`, [key]))[0]?.value;

/** Writes a meta key, the store's own keys included (`ProductStore.setMeta` refuses those). */
export const setMetaRaw = (s: PgStoreState, key: string, value: string) =>
  query(s, `INSERT INTO prodsim_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);

export const revision = async (s: PgStoreState) => (await getMeta(s, PG_META.revision)) ?? '';

/** Called inside the writing transaction, so the new revision commits (or rolls back) with the rows. */
export const bumpRevision = (s: PgStoreState) => query(s, `UPDATE prodsim_meta SET value = $2 WHERE key = $1`, [PG_META.revision, randomUUID()]);

/** Whether the products table is distributed by Citus (the store's meta says; read once per handle). */
export async function isDistributed(s: PgStoreState): Promise<boolean> {
  s.layout.distributed ??= (await getMeta(s, PG_META.distributed)) === 'true';
  return s.layout.distributed;
}

/** What this database's HNSW indexes hold (`AnnLayout`). */
export const annLayout = async (s: PgStoreState): Promise<AnnLayout> => ((await isDistributed(s)) ? 'vectorPerProduct' : 'distinctVectors');
