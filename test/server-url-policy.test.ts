/**
 * The image URL policy (server-side request forgery): one table of address forms, each checked
 * against the one policy; the guarded fetch connects only to the address it checked (one
 * resolution per hop, no second DNS lookup) and applies the policy to every redirect hop.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isProdsimError } from '../src/errors.ts';
import { assertFetchableUrl, blockedAddressReason, createGuardedImageFetch, isBlockedAddress } from '../src/server/url-policy.ts';

/** [address as written, blocked?, why] — each form of a loopback/private/special address, and public ones. */
const ADDRESS_TABLE: [string, boolean, string][] = [
  ['127.0.0.1', true, 'IPv4 loopback'],
  ['127.255.255.254', true, 'IPv4 loopback, end of 127/8'],
  ['10.0.0.1', true, 'private 10/8'],
  ['172.16.5.4', true, 'private 172.16/12'],
  ['192.168.1.5', true, 'private 192.168/16'],
  ['100.64.0.1', true, 'carrier-grade NAT 100.64/10'],
  ['169.254.169.254', true, 'link-local (cloud metadata)'],
  ['0.0.0.0', true, 'unspecified 0/8'],
  ['0.1.2.3', true, '0.0.0.0/8'],
  ['224.0.0.1', true, 'multicast'],
  ['255.255.255.255', true, 'broadcast'],
  ['198.18.0.1', true, 'benchmarking 198.18/15'],
  ['2130706433', true, 'decimal spelling of 127.0.0.1'],
  ['0x7f000001', true, 'hex spelling of 127.0.0.1'],
  ['0x7f.1', true, 'hex two-part spelling'],
  ['0177.0.0.1', true, 'octal spelling'],
  ['127.1', true, 'short spelling'],
  ['::1', true, 'IPv6 loopback'],
  ['::', true, 'IPv6 unspecified'],
  ['::ffff:127.0.0.1', true, 'IPv4-mapped loopback'],
  ['::ffff:7f00:1', true, 'IPv4-mapped loopback, hex'],
  ['::ffff:169.254.169.254', true, 'IPv4-mapped link-local'],
  ['::ffff:10.0.0.1', true, 'IPv4-mapped private'],
  ['0:0:0:0:0:ffff:7f00:1', true, 'IPv4-mapped, long form'],
  ['::ffff:0:7f00:1', true, 'IPv4-translated (RFC 6145)'],
  ['::127.0.0.1', true, 'IPv4-compatible loopback'],
  ['::7f00:1', true, 'IPv4-compatible loopback, hex'],
  ['::a00:1', true, 'IPv4-compatible private'],
  ['64:ff9b::7f00:1', true, 'NAT64 of loopback'],
  ['64:ff9b::10.0.0.1', true, 'NAT64 of private'],
  ['64:ff9b:1::a00:1', true, 'local-use NAT64 (RFC 8215)'],
  ['2002:7f00:1::', true, '6to4 of loopback'],
  ['2002:a9fe:a9fe::1', true, '6to4 of link-local'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', true, 'Teredo'],
  ['fc00::1', true, 'unique local fc00::/7'],
  ['fd12:3456::1', true, 'unique local fd'],
  ['fe80::1', true, 'IPv6 link-local'],
  ['fe80::1%eth0', true, 'IPv6 link-local with zone'],
  ['fec0::1', true, 'deprecated site-local'],
  ['ff02::1', true, 'IPv6 multicast'],
  ['2001:db8::1', true, 'documentation'],
  ['not-an-address', true, 'unparseable'],
  ['93.184.216.34', false, 'public IPv4'],
  ['8.8.8.8', false, 'public IPv4'],
  ['::ffff:8.8.8.8', false, 'IPv4-mapped public'],
  ['64:ff9b::808:808', false, 'NAT64 of a public address'],
  ['2002:808:808::1', false, '6to4 of a public address'],
  ['2606:4700:4700::1111', false, 'public IPv6'],
];

describe('address policy', () => {
  for (const [address, blocked, why] of ADDRESS_TABLE) {
    test(`${address} (${why}) is ${blocked ? 'blocked' : 'allowed'}`, () => {
      assert.equal(isBlockedAddress(address), blocked, blockedAddressReason(address) ?? 'allowed');
    });
  }
});

/** [URL, why]: every form in a URL's host, all refused before any connection. */
const URL_TABLE: [string, string][] = [
  ['http://127.0.0.1/x.jpg', 'loopback'],
  ['http://2130706433/x.jpg', 'decimal host'],
  ['http://0x7f.0.0.1/x.jpg', 'hex host'],
  ['http://0177.0.0.1/x.jpg', 'octal host'],
  ['http://127.0.0.1./x.jpg', 'trailing dot on an address'],
  ['http://localhost./x.jpg', 'trailing dot on a name that resolves to loopback'],
  ['http://localhost/x.jpg', 'a name that resolves to loopback'],
  ['http://[::ffff:127.0.0.1]/', 'IPv4-mapped'],
  ['http://[::ffff:7f00:1]/', 'IPv4-mapped, hex'],
  ['http://[::ffff:169.254.169.254]/', 'IPv4-mapped metadata'],
  ['http://[::ffff:10.0.0.1]/', 'IPv4-mapped private'],
  ['http://[::127.0.0.1]/', 'IPv4-compatible'],
  ['http://[64:ff9b::7f00:1]/', 'NAT64'],
  ['http://[2002:7f00:1::]/', '6to4'],
  ['http://[fd00::1]/', 'unique local'],
  ['http://[fe80::1]/', 'link-local'],
  ['http://[ff02::1]/', 'multicast'],
  ['http://0/', '0.0.0.0'],
  ['file:///etc/passwd', 'not http'],
  ['gopher://example.com/', 'not http'],
  ['http://user:pw@example.com/', 'credentials in the URL'],
];

describe('URL policy', () => {
  for (const [url, why] of URL_TABLE) {
    test(`${url} (${why}) is refused`, async () => {
      await assert.rejects(assertFetchableUrl(url), (e) => isProdsimError(e) && e.code === 'FORBIDDEN_URL');
    });
  }
});

describe('guarded fetch: connects to the checked address, every redirect hop checked', () => {
  let server: Server;
  let port: number;
  const IMAGE = Buffer.from('not really a jpeg, but bytes');
  before(async () => {
    server = createServer((req, res) => {
      const to = (location: string) => {
        res.writeHead(302, { location });
        res.end();
      };
      if (req.url === '/img.jpg') res.end(IMAGE);
      else if (req.url === '/to-private') to('http://10.0.0.1/img.jpg');
      else if (req.url === '/to-mapped') to('http://[::ffff:127.0.0.1]/img.jpg');
      else if (req.url === '/to-file') to('file:///etc/passwd');
      else if (req.url === '/to-good') to(`http://images.test:${port}/img.jpg`);
      else if (req.url === '/loop') to(`http://127.0.0.1:${port}/loop`);
      else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  /**
   * A policy for the test that allows 127.0.0.1 only (the test server) and a resolver that answers
   * 127.0.0.1 for images.test the first time and 10.0.0.1 afterwards (DNS rebinding): a fetch that
   * resolved twice would connect to the second answer.
   */
  function rebindingFetch() {
    const resolved: string[] = [];
    let calls = 0;
    const fetchImage = createGuardedImageFetch({
      resolveHost: async (host) => {
        resolved.push(host);
        calls += 1;
        if (host !== 'images.test') return [];
        return [calls === 1 ? '127.0.0.1' : '10.0.0.1'];
      },
      blockedReason: (address) => (address === '127.0.0.1' ? undefined : 'not the test server'),
    });
    return { fetchImage, resolved };
  }
  const opts = () => ({ signal: AbortSignal.timeout(5000), maxBytes: 1024 });

  test('fetches through the one resolution it checked', async () => {
    const { fetchImage, resolved } = rebindingFetch();
    const bytes = await fetchImage(`http://images.test:${port}/img.jpg`, opts());
    assert.deepEqual(Buffer.from(bytes), IMAGE);
    assert.deepEqual(resolved, ['images.test']);
  });

  test('a redirect to a private address is refused (403), not a 500', async () => {
    const { fetchImage } = rebindingFetch();
    await assert.rejects(fetchImage(`http://127.0.0.1:${port}/to-private`, opts()), (e) => isProdsimError(e) && e.code === 'FORBIDDEN_URL' && e.status === 403);
  });

  test('a redirect to an IPv4-mapped loopback address is refused by the default policy', async () => {
    const { fetchImage } = rebindingFetch();
    await assert.rejects(fetchImage(`http://127.0.0.1:${port}/to-mapped`, opts()), (e) => isProdsimError(e) && e.code === 'FORBIDDEN_URL');
  });

  test('a redirect to a non-http URL is refused', async () => {
    const { fetchImage } = rebindingFetch();
    await assert.rejects(fetchImage(`http://127.0.0.1:${port}/to-file`, opts()), (e) => isProdsimError(e) && e.code === 'FORBIDDEN_URL');
  });

  test('a redirect to an allowed host is followed (and its name resolved once)', async () => {
    const { fetchImage, resolved } = rebindingFetch();
    const bytes = await fetchImage(`http://127.0.0.1:${port}/to-good`, opts());
    assert.deepEqual(Buffer.from(bytes), IMAGE);
    assert.deepEqual(resolved, ['images.test']);
  });

  test('a redirect loop ends with a clear error', async () => {
    const { fetchImage } = rebindingFetch();
    await assert.rejects(fetchImage(`http://127.0.0.1:${port}/loop`, opts()), (e) => isProdsimError(e) && e.code === 'IMAGE_ERROR' && /redirect/.test(e.message));
  });

  test('an image larger than the limit is refused', async () => {
    const { fetchImage } = rebindingFetch();
    await assert.rejects(fetchImage(`http://127.0.0.1:${port}/img.jpg`, { signal: AbortSignal.timeout(5000), maxBytes: 4 }), (e) => isProdsimError(e) && e.code === 'LIMIT_EXCEEDED');
  });
});
