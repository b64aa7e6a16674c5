/**
 * The store's catalog statistics (`similarity/catalog-statistics.ts`: document frequencies of title
 * words, character 3-grams, model numbers and attribute values), kept up to date with ingests.
 *
 * Built from one scan of the store when first needed (a `sameProduct` comparison), then followed
 * through the store's change log: products written since are added. Old versions of updated
 * products and deleted products are not taken out (their documents are not kept: at a million
 * products that would cost more memory than the counts themselves), so counts may run a little
 * high; once the changes taken in since the last scan reach `STATISTICS_REBUILD_SHARE` of the
 * catalog, the statistics are built again from a fresh scan.
 */
import type { Product } from '../catalog/product.ts';
import { catalogDocumentFromParts, createCatalogStatistics, type CatalogDocument, type CatalogStatistics, type MutableCatalogStatistics } from '../similarity/catalog-statistics.ts';
import { canonicalAttributeKey } from '../similarity/field-similarities/attributes.ts';
import { changesAfter, upsertedKeys, type AnalyzedProduct, type ChangeLogPosition, type ProductStore } from '../store/store.ts';

/** Changes taken in without a scan, as a share of the products counted, before the next full scan. */
export const STATISTICS_REBUILD_SHARE = 0.1;

/** A stored product's document: analysed title tokens, title/description codes and model attributes, attribute values. */
export function storedCatalogDocument(product: Product, analyzed: AnalyzedProduct): CatalogDocument {
  const facts = analyzed.fieldFacts;
  const codes = facts ? [...(facts.title.modelNumbers ?? []), ...(facts.description?.modelNumbers ?? [])] : [...analyzed.modelNumbers];
  for (const [k, v] of Object.entries(product.attributes ?? {})) {
    if (canonicalAttributeKey(k) === 'model' && v.trim() !== '') codes.push(...v.split(/[,，;；、\s]+/u).filter((c) => c.length > 0));
  }
  return catalogDocumentFromParts(analyzed.tokens.title, codes, product.attributes ?? {}, product.brand);
}

export interface CatalogStatisticsFollower {
  /** The statistics as of the store's current state (scanned or brought up to date when it changed). */
  current(): Promise<CatalogStatistics>;
}

export function followCatalogStatistics(store: ProductStore): CatalogStatisticsFollower {
  let stats: MutableCatalogStatistics | undefined;
  let position: ChangeLogPosition | undefined;
  let revision: string | undefined;
  let sinceScan = 0;

  const positionNow = async (): Promise<ChangeLogPosition> => ({ changeLogId: await store.changeLogId(), changeSeq: await store.changeSeq() });
  const addAnalyzed = (s: MutableCatalogStatistics, rows: Iterable<{ product: Product; analyzed?: AnalyzedProduct }>) => {
    for (const row of rows) if (row.analyzed) s.add(storedCatalogDocument(row.product, row.analyzed));
  };

  async function scan(): Promise<void> {
    const fresh = createCatalogStatistics();
    const at = await positionNow();
    const rev = await store.revision();
    for await (const row of store.iterateProducts({ withAnalyzed: true })) addAnalyzed(fresh, [row]);
    stats = fresh;
    position = at;
    revision = rev;
    sinceScan = 0;
  }

  return {
    async current() {
      const rev = await store.revision();
      if (stats && rev === revision) return stats;
      const changes = stats ? await changesAfter(store, position) : undefined;
      if (!stats || changes === undefined || sinceScan + changes.length > STATISTICS_REBUILD_SHARE * Math.max(stats.documentCount, 1)) {
        await scan();
        return stats!;
      }
      const at = await positionNow();
      addAnalyzed(stats, await store.getAnalyzedProductsByKeys(upsertedKeys(changes)));
      sinceScan += changes.length;
      position = at;
      revision = rev;
      return stats;
    },
  };
}
