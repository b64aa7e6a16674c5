/** The product filter (category prefix, price, stock, brand) as SQL, shared by keyword and nearest-neighbour retrieval. */
import { categoryLevels } from '../../catalog/product.ts';
import { brandColumnValue, type KeywordFilter } from '../store.ts';

/** SQL conditions on products `p` for a filter; parameters are appended to `params`. */
export function filterSql(filter: KeywordFilter | undefined, params: unknown[]): string[] {
  const where: string[] = [];
  if (!filter) return where;
  const prefix = categoryLevels(filter.categoryPrefix).join('/');
  if (prefix !== '') {
    params.push(prefix);
    const n = params.length;
    params.push(`${prefix.replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_')}/%`);
    where.push(`(p.category = $${n} OR p.category LIKE $${n + 1})`);
  }
  if (filter.minPrice !== undefined) {
    params.push(filter.minPrice);
    where.push(`p.price >= $${params.length}`);
  }
  if (filter.maxPrice !== undefined) {
    params.push(filter.maxPrice);
    where.push(`p.price <= $${params.length}`);
  }
  if (filter.inStock !== undefined) {
    params.push(filter.inStock);
    where.push(`p.in_stock = $${params.length}`);
  }
  if (filter.brandIn !== undefined) {
    params.push([...filter.brandIn].map(brandColumnValue).filter((b) => b !== null));
    where.push(`p.brand = ANY($${params.length}::text[])`);
  }
  return where;
}
