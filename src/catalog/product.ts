/**
 * The catalog stage's contract: what a product is once it has been loaded and validated.
 * Every later stage reads products in this shape.
 */
export interface Product {
  id: string;
  title: string;
  description?: string;
  /** Free tags: colour, material, style… in any language. */
  tags: string[];
  brand?: string;
  /** Category path with `/` between levels, e.g. `服装/女装/连衣裙`. */
  category?: string;
  price?: number;
  /** ISO 4217 code, upper case (CNY, USD…). */
  currency?: string;
  /** Local paths or URLs. */
  images: string[];
  attributes: Record<string, string>;
  inStock?: boolean;
}

/** The fields a record can carry; used by field mappings and validation messages. */
export const PRODUCT_FIELDS = [
  'id',
  'title',
  'description',
  'tags',
  'brand',
  'category',
  'price',
  'currency',
  'images',
  'attributes',
  'inStock',
] as const satisfies readonly (keyof Product)[];

export type ProductField = (typeof PRODUCT_FIELDS)[number];

/** Splits a category path into its levels, trimming blanks (`服装 / 女装` → [服装, 女装]). */
export function categoryLevels(category: string | undefined): string[] {
  if (!category) return [];
  return category
    .split(/[/>|›»]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
