/**
 * Drops the keys whose value is undefined, so the defaults of what receives the object apply (a spread
 * of defaults over `{ k: undefined }` would keep the undefined) and `exactOptionalPropertyTypes` holds.
 * The CLI uses it on options gathered from flags, the task registry on validated input.
 */
export function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
