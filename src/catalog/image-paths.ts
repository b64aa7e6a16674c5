/**
 * Where a product's image is. Catalog files give local images relative to the catalog file's own folder
 * (`images/phone-black.png` beside `data/sample-catalog.jsonl`), so a catalog moves with its pictures.
 */
import { dirname, isAbsolute, resolve } from 'node:path';

/** True for `http(s)://`, `data:` and `file:` references, which are used as they are. */
export function isImageUrl(image: string): boolean {
  return /^(https?:|data:|file:)/i.test(image);
}

/** Resolves one `Product.images` entry against the catalog file it came from; URLs and absolute paths pass through. */
export function resolveImagePath(catalogFile: string, image: string): string {
  if (isImageUrl(image) || isAbsolute(image)) return image;
  return resolve(dirname(catalogFile), image);
}
