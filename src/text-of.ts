/**
 * A value read from a file or a request as text: a string as it is, a number, boolean or bigint
 * printed, anything else (an object, an array) as JSON rather than `[object Object]`.
 */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return String(v);
  return JSON.stringify(v) ?? typeof v; // a function or a symbol
}
