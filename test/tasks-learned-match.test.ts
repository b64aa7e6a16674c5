/**
 * Learning from labelled pairs and using the result in an application: a matcher trained on half of
 * the sample shops' labelled pairs decides catalog matching on the whole shops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../src/catalog/catalog-summary.ts';
import { createEngine } from '../src/engine/engine.ts';
import { saveMatcherModel, trainMatcher } from '../src/learning/matcher.ts';
import type { LabeledPair } from '../src/learning/pairs.ts';
import { productToPairRecord } from '../src/tasks/learned-matcher.ts';

test('a matcher trained on labelled pairs decides catalog matching', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodsim-learned-'));
  try {
    const a = new Map((await loadCatalog('data/shop-a.jsonl')).products.map((p) => [p.id, p]));
    const b = new Map((await loadCatalog('data/shop-b.jsonl')).products.map((p) => [p.id, p]));
    const rows = readFileSync('data/shop-ab-matches.csv', 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const pairs: LabeledPair[] = rows.map(([l, r, label]) => ({
      left: productToPairRecord(a.get(l!)!),
      right: productToPairRecord(b.get(r!)!),
      label: label === '1' ? 1 : 0,
      leftId: l!,
      rightId: r!,
    }));
    // Every pair not labelled 1 is a non-match in this sample: add same-category pairs as the
    // ordinary negatives that candidate blocking will produce (the labelled ones are hard negatives).
    const gold = new Set(rows.filter((x) => x[2] === '1').map(([l, r2]) => `${l}|${r2}`));
    const lefts = [...a.values()];
    const rights = [...b.values()];
    lefts.forEach((l, i) => {
      const r = rights.filter((x) => x.category === l.category && !gold.has(`${l.id}|${x.id}`))[i % 3];
      if (r) pairs.push({ left: productToPairRecord(l), right: productToPairRecord(r), label: 0, leftId: l.id, rightId: r.id });
    });
    const train = pairs.filter((_, i) => i % 2 === 0);
    const valid = pairs.filter((_, i) => i % 2 === 1);
    const matcher = trainMatcher(train, valid, { classifier: 'logistic' });
    assert.ok(matcher.model.training.validMetrics!.f1 > 0.8, `valid F1 ${matcher.model.training.validMetrics!.f1}`);
    const modelPath = join(dir, 'matcher.json');
    saveMatcherModel(matcher.model, modelPath);

    const engine = await createEngine({ storePath: join(dir, 'store.db') });
    try {
      const r = await engine.match('data/shop-a.jsonl', 'data/shop-b.jsonl', { model: modelPath });
      assert.equal(r.stats.scorer, 'trained matcher');
      assert.equal(r.stats.threshold, matcher.model.threshold);
      // Measured: 48 of 60 matches among 94 pairs. The matcher has no bilingual knowledge (prices
      // in CNY vs USD, 颜色 vs colour), so on these cross-language shops it trails the built-in
      // sameProduct profile (F1 0.91); the bar here is that training really drives the decision.
      const found = r.pairs.filter((p) => gold.has(`${p.left.id}|${p.right.id}`)).length;
      const precision = found / r.pairs.length;
      const recall = found / gold.size;
      assert.ok(recall >= 0.7 && precision >= 0.4, `precision ${precision}, recall ${recall}`);
      for (const p of r.pairs) assert.ok(p.score >= matcher.model.threshold);
    } finally {
      engine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
