/**
 * Which image URLs the server may fetch: only when allowed by configuration, only http(s), and never
 * an address on this machine or a private network (no server-side request forgery), checked on the
 * resolved address, with size and time limits on the download.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { createError } from '../errors.ts';
import type { ImageFetch } from '../encoders/image/features.ts';

const V4_BLOCKED: [number, number][] = [
  [0x00000000, 8], // 0.0.0.0/8
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // 100.64/10 carrier-grade NAT
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
  [0xc6120000, 15], // benchmarking 198.18/15
  [0xe0000000, 3], // multicast and reserved
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

export function isBlockedAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const n = v4ToInt(ip);
    return V4_BLOCKED.some(([base, bits]) => (n >>> (32 - bits)) === (base >>> (32 - bits)));
  }
  const v6 = ip.toLowerCase();
  if (v6 === '::' || v6 === '::1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v6);
  if (mapped) return isBlockedAddress(mapped[1]!);
  // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast.
  return /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6) || v6.startsWith('ff');
}

export async function assertFetchableUrl(raw: string): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw createError('FORBIDDEN_URL', `not a URL: ${raw}`, { field: 'url', received: raw });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw createError('FORBIDDEN_URL', `only http(s) URLs are fetched, got ${url.protocol}`, { field: 'url' });
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  const bad = addresses.find(isBlockedAddress);
  if (bad) throw createError('FORBIDDEN_URL', `${url.hostname} resolves to ${bad}, a loopback or private address`, { field: 'url', received: raw });
  return url;
}

/** An image fetch for the image stage: policy checked, bytes and time bounded, no redirects followed. */
export function createGuardedImageFetch(): ImageFetch {
  return async (raw, { signal, maxBytes }) => {
    const url = await assertFetchableUrl(raw);
    const res = await fetch(url, { signal, redirect: 'error' });
    if (!res.ok || !res.body) throw createError('IMAGE_ERROR', `GET ${url.href}: HTTP ${res.status}`, { field: 'url' });
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > maxBytes) throw createError('LIMIT_EXCEEDED', `${url.href} is ${declared} bytes (limit ${maxBytes})`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > maxBytes) throw createError('LIMIT_EXCEEDED', `${url.href} is larger than ${maxBytes} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  };
}
