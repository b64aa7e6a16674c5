/**
 * The web UI in headless Chromium (Debian's `chromium` driven by playwright-core) on the sample
 * catalog: search, open a product, see similar items with explanation bars, run a match and accept
 * a pair with the keyboard (the label is stored), the evaluation page. Screenshots go to
 * test-output/screenshots/. Skips when /usr/bin/chromium is absent (CI installs it in .ci/run).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import { startServer, type RunningServer } from '../src/server/app.ts';

const CHROMIUM = process.env.PRODSIM_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = 'test-output/screenshots';
const TOKEN = 'e2e-token';
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`;

const dir = mkdtempSync(join(tmpdir(), 'prodsim-e2e-'));
let engine: Engine;
let running: RunningServer;
// playwright-core types, loaded lazily so the file loads without a browser.
let browser: import('playwright-core').Browser;
let page: import('playwright-core').Page;
const outside: string[] = [];

before(async () => {
  if (skip) return;
  mkdirSync(SHOTS, { recursive: true });
  engine = await createEngine({ storePath: join(dir, 'store.db'), images: false }); // image features are not under test here (and cost seconds)
  await engine.ingest('data/sample-catalog.jsonl');
  running = await startServer({ engine, port: 0, host: '127.0.0.1', writeToken: TOKEN, evalDir: join(dir, 'eval'), modelPath: join(dir, 'matcher.json') });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(90_000); // a shared CI machine can be slow; the waits below are for things that do happen
  // Nothing may come from outside the server (no CDN).
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(running.url) && !url.startsWith('data:') && !url.startsWith(`blob:${running.url}`)) outside.push(url);
  });
});

after(async () => {
  await browser?.close();
  await running?.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('search in Chinese, product cards with scores', { skip }, async () => {
  await page.goto(`${running.url}/`);
  await page.fill('#token', TOKEN);
  await page.focus('#q');
  await page.keyboard.type('红色连衣裙');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.results .card');
  const cards = page.locator('.results .card');
  assert.ok((await cards.count()) >= 3);
  const firstTitle = await cards.first().locator('.title').textContent();
  assert.match(firstTitle ?? '', /连衣裙|dress/i);
  assert.match((await cards.first().locator('.score').textContent()) ?? '', /score \d\.\d\d/);
  // The hit's ESCI class as a badge, its reason as the tooltip (issue #19 item 5).
  assert.match((await cards.first().locator('.badge').getAttribute('data-class')) ?? '', /^(exact|substitute|complement|irrelevant)$/);
  assert.ok((await cards.first().locator('.badge').getAttribute('title'))?.length);
  assert.ok((await cards.first().locator('.price').textContent())?.trim());
  await page.screenshot({ path: join(SHOTS, '1-search.png'), fullPage: false });
  // English works too, through the same box ('/' focuses it from anywhere).
  await page.goto(`${running.url}/#/?q=${encodeURIComponent('iPhone 15 256GB')}`);
  await page.waitForSelector('.results .card');
  assert.match((await page.locator('.results .card .title').first().textContent()) ?? '', /iPhone 15/);
  assert.equal(await page.locator('.no-good-match').count(), 0);
  // No gaming laptop in the sample catalog: the UI says "no good match" instead of a result count.
  await page.goto(`${running.url}/#/?q=${encodeURIComponent('游戏本')}`);
  await page.waitForSelector('.no-good-match');
  assert.match((await page.locator('.results .count').textContent()) ?? '', /No good match/);
  await page.goto(`${running.url}/#/?q=${encodeURIComponent('红色连衣裙')}`);
  await page.waitForSelector('.results .card');
});

test('open a product by keyboard: similar items and substitutes with explanation bars', { skip }, async () => {
  const link = page.locator('.results .card a.name').first();
  await link.focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('.similar .explanation .bars .field');
  assert.match(page.url(), /#\/product\//);
  const similar = page.locator('.similar').first();
  assert.ok((await similar.locator('.card').count()) >= 3);
  const firstBars = similar.locator('.card').first().locator('.bars .field');
  assert.ok((await firstBars.count()) >= 3, 'one bar per field');
  assert.match((await firstBars.first().locator('.calc').textContent()) ?? '', /\d\.\d\d × \d\.\d\d = \d\.\d\d|missing/);
  const width = await firstBars.first().locator('.fill').evaluate((el) => (el as unknown as { style: { width: string } }).style.width);
  assert.match(width, /^\d+%$/);
  assert.match((await page.locator('.price-ref').textContent()) ?? '', /median of \d+ similar/);
  await page.screenshot({ path: join(SHOTS, '2-product.png'), fullPage: false });
});

test('match review: run a match, accept the first pair with the keyboard, the label is stored', { skip }, async () => {
  await page.goto(`${running.url}/#/review`);
  await page.click('#run-match');
  await page.waitForSelector('.pairs .pair', { timeout: 60_000 });
  const first = page.locator('.pairs .pair').first();
  await first.focus();
  await page.keyboard.press('a');
  await page.waitForSelector('.pairs .pair[data-decision="accepted"]');
  // j moves on, r rejects the second pair.
  await page.keyboard.press('r');
  await page.waitForSelector('.pairs .pair[data-decision="rejected"]');
  const labels = await engine.store.getLabels({ source: 'review' });
  assert.equal(labels.length, 2);
  const accepted = labels.find((l) => l.label === 1)!;
  assert.equal(accepted.leftId, await first.locator('.side .pid').first().textContent());
  assert.ok(labels.some((l) => l.label === 0));
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(SHOTS, '3-review.png'), fullPage: false });
});

test('evaluation page: train on the review labels, evaluate, the report shows its table and plots', { skip }, async () => {
  // Two more accepted pairs, so training sees 4 labels of both classes.
  await page.locator('.pairs .pair').nth(2).focus();
  await page.keyboard.press('a');
  await page.keyboard.press('a');
  await page.waitForFunction("document.querySelectorAll('.pairs .pair[data-decision]').length >= 4");
  assert.equal((await engine.store.getLabels({ source: 'review' })).length, 4);
  await page.goto(`${running.url}/#/eval`);
  await page.waitForSelector('.report table, .report p');
  await page.getByRole('button', { name: 'Train on review labels' }).click();
  await page.waitForFunction("/train done/.test(document.getElementById('status')?.textContent ?? '')", undefined, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Evaluate on shop-ab-matches' }).click();
  await page.waitForSelector('.report img.plot', { timeout: 60_000 });
  assert.match((await page.locator('#report').inputValue()) ?? '', /^eval\/eval\.md$/);
  assert.ok((await page.locator('.report table td').count()) > 5);
  await page.screenshot({ path: join(SHOTS, '4-eval.png'), fullPage: true });
});

test('nothing was requested from outside the server (no CDN)', { skip }, () => {
  assert.deepEqual(outside, []);
});
