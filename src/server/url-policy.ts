/**
 * Which image URLs the server may fetch: only when allowed by configuration, only http(s), and never
 * an address on this machine or a private network (no server-side request forgery).
 *
 * One policy decides every address, in every form it can be written: an address is fetchable only
 * when ipaddr.js classes it as global unicast, and an IPv6 address that embeds an IPv4 one
 * (IPv4-mapped, IPv4-compatible, IPv4-translated, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by
 * the IPv4 address inside it. Decimal, octal and hex IPv4 spellings and a trailing dot are read the
 * way a resolver would (WHATWG URL parsing, then ipaddr.js). A host name is resolved once, every
 * address it resolves to must pass, and the socket is opened to the address that was checked (the
 * request's `lookup` is pinned to it), so a second DNS answer (rebinding) is never used. Redirects
 * are followed by hand, each hop through the same check.
 */
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { createError, isProdsimError, rejectUnknownKeys } from '../errors.ts';
import type { ImageFetch } from '../encoders/image/features.ts';

/** The only ipaddr.js range a fetched address may be in. */
const FETCHABLE_RANGE = 'unicast';

/** Why an IPv6 address carries an IPv4 address in its last 32 bits (or bits 16–47 for 6to4). */
function embeddedIPv4(v6: ipaddr.IPv6): { form: string; v4: ipaddr.IPv4 } | undefined {
  const p = v6.parts;
  const last32 = () => ipaddr.IPv4.parse(`${p[6]! >> 8}.${p[6]! & 0xff}.${p[7]! >> 8}.${p[7]! & 0xff}`);
  const zeros = (from: number, to: number) => p.slice(from, to).every((w) => w === 0);
  if (zeros(0, 5) && p[5] === 0xffff) return { form: 'IPv4-mapped', v4: last32() };
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return { form: 'IPv4-translated', v4: last32() };
  if (zeros(0, 6)) return { form: 'IPv4-compatible', v4: last32() };
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) return { form: 'NAT64', v4: last32() };
  if (p[0] === 0x2002) return { form: '6to4', v4: ipaddr.IPv4.parse(`${p[1]! >> 8}.${p[1]! & 0xff}.${p[2]! >> 8}.${p[2]! & 0xff}`) };
  return undefined;
}

/** Why `address` may not be fetched from (its range), or undefined when it may. */
export function blockedAddressReason(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''); // brackets, IPv6 zone id
  if (!ipaddr.isValid(bare)) return 'not an IP address';
  const parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv4') {
    const range = parsed.range();
    return range === FETCHABLE_RANGE ? undefined : `IPv4 ${range} address`;
  }
  const v6 = parsed as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) {
    const inner = blockedAddressReason(embedded.v4.toString());
    return inner === undefined ? undefined : `${embedded.form} form of an ${inner}`;
  }
  const range = v6.range();
  return range === FETCHABLE_RANGE ? undefined : `IPv6 ${range} address`;
}

export function isBlockedAddress(address: string): boolean {
  return blockedAddressReason(address) !== undefined;
}

export interface GuardedFetchOptions {
  /** Every address a host name resolves to (default: the system resolver, all families). */
  resolveHost: (host: string) => Promise<string[]>;
  /** The policy (default `blockedAddressReason`); tests may narrow or widen it. */
  blockedReason: (address: string) => string | undefined;
  /** Redirect hops followed, each checked like the first URL. */
  maxRedirects: number;
}

async function resolveWithSystem(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

export const DEFAULT_GUARDED_FETCH_OPTIONS = Object.freeze({
  resolveHost: resolveWithSystem,
  blockedReason: blockedAddressReason,
  maxRedirects: 3,
}) satisfies GuardedFetchOptions;

/** A URL that passed the policy and the one address it will be fetched from. */
interface CheckedUrl {
  url: URL;
  address: string;
}

function forbidden(message: string, raw: string) {
  return createError('FORBIDDEN_URL', message, { field: 'url', received: raw.slice(0, 200) });
}

async function checkUrl(raw: string, policy: Pick<GuardedFetchOptions, 'resolveHost' | 'blockedReason'>): Promise<CheckedUrl> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Into a catalogue error: a string that is not a URL is FORBIDDEN_URL.
    throw forbidden('not a URL', raw);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw forbidden(`only http(s) URLs are fetched, got ${url.protocol}`, raw);
  if (url.username || url.password) throw forbidden('URLs with credentials are not fetched', raw);
  // WHATWG parsing has already turned decimal/octal/hex IPv4 spellings into dotted quads.
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) throw forbidden(`${url.hostname} is this machine`, raw);
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await policy.resolveHost(host);
    } catch (e) {
      // Into a catalogue error: DNS's error becomes IMAGE_ERROR with its errno code.
      throw createError('IMAGE_ERROR', `${url.hostname} could not be resolved (${(e as NodeJS.ErrnoException).code ?? 'lookup failed'})`, { field: 'url' });
    }
    if (addresses.length === 0) throw createError('IMAGE_ERROR', `${url.hostname} resolves to no address`, { field: 'url' });
  }
  for (const address of addresses) {
    const reason = policy.blockedReason(address);
    if (reason !== undefined) throw forbidden(`${url.hostname} resolves to ${address}, an ${reason.replace(/^an? /, '')}: not fetched`, raw);
  }
  return { url, address: addresses[0]! };
}

/** Checks a URL against the default policy (resolving its host) and returns it parsed. */
export async function assertFetchableUrl(raw: string): Promise<URL> {
  return (await checkUrl(raw, DEFAULT_GUARDED_FETCH_OPTIONS)).url;
}

/** A `lookup` for the socket that answers the already checked address and never asks DNS. */
function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
}

function requestOnce(checked: CheckedUrl, signal: AbortSignal): Promise<IncomingMessage> {
  const { url, address } = checked;
  const options: RequestOptions = { method: 'GET', signal, lookup: pinnedLookup(address), headers: { accept: 'image/*' } };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolveResponse, reject) => {
    const req = send(url, options, resolveResponse);
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(signal.aborted ? createError('IMAGE_ERROR', `GET ${url.origin}: timed out`, { field: 'url' }) : createError('IMAGE_ERROR', `GET ${url.origin}: ${e.code ?? 'connection failed'}`, { field: 'url' })),
    );
    req.end();
  });
}

async function readBounded(res: IncomingMessage, url: URL, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    res.destroy();
    throw createError('LIMIT_EXCEEDED', `${url.origin}${url.pathname} is ${declared} bytes (limit ${maxBytes})`, { field: 'url' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy();
        throw createError('LIMIT_EXCEEDED', `${url.origin}${url.pathname} is larger than ${maxBytes} bytes`, { field: 'url' });
      }
      chunks.push(chunk);
    }
  } catch (e) {
    // Into a catalogue error: a broken download becomes IMAGE_ERROR; the policy's own errors pass as they are.
    if (isProdsimError(e)) throw e;
    throw createError('IMAGE_ERROR', `GET ${url.origin}: the download broke off`, { field: 'url' });
  }
  return Buffer.concat(chunks);
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** An image fetch for the image stage: policy checked on every hop, bytes and time bounded. */
export function createGuardedImageFetch(options: Partial<GuardedFetchOptions> = {}): ImageFetch {
  rejectUnknownKeys(options, Object.keys(DEFAULT_GUARDED_FETCH_OPTIONS), 'createGuardedImageFetch');
  const policy: GuardedFetchOptions = { ...DEFAULT_GUARDED_FETCH_OPTIONS, ...options };
  return async (raw, { signal, maxBytes }) => {
    let checked = await checkUrl(raw, policy);
    for (let hop = 0; ; hop++) {
      const res = await requestOnce(checked, signal);
      const status = res.statusCode ?? 0;
      if (REDIRECT_STATUSES.has(status)) {
        res.resume();
        const location = res.headers.location;
        if (!location) throw createError('IMAGE_ERROR', `GET ${checked.url.origin}: HTTP ${status} without a Location`, { field: 'url' });
        if (hop >= policy.maxRedirects) throw createError('IMAGE_ERROR', `GET ${raw.slice(0, 200)}: more than ${policy.maxRedirects} redirects`, { field: 'url' });
        let next: string;
        try {
          next = new URL(location, checked.url).href;
        } catch {
          // Into a catalogue error: a redirect to something that is not a URL is FORBIDDEN_URL.
          throw forbidden('a redirect to something that is not a URL', location);
        }
        checked = await checkUrl(next, policy);
        continue;
      }
      if (status < 200 || status >= 300) {
        res.resume();
        throw createError('IMAGE_ERROR', `GET ${checked.url.origin}${checked.url.pathname}: HTTP ${status}`, { field: 'url' });
      }
      return readBounded(res, checked.url, maxBytes);
    }
  };
}
