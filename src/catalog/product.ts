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

/**
 * Bounds on one product's fields. A record beyond them is refused as an issue naming the field and
 * the bound (never stored whole: a 10 MB title cost 860 MB of memory downstream). Lengths count
 * UTF-16 code units, as JavaScript strings do.
 */
export const PRODUCT_LIMITS = Object.freeze({
  maxIdLength: 256,
  maxTitleLength: 1_000,
  maxDescriptionLength: 50_000,
  /** Brand, category path, each tag, image reference, attribute name and value. */
  maxShortTextLength: 2_048,
  /** Tags, images, attributes: items in one product. */
  maxListItems: 200,
  /** Largest price, in any currency (a finite number; 1e308 is refused, not printed as Infinity). */
  maxPrice: 1e12,
});

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
