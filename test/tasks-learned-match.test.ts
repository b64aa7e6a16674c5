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
import { pairsSeenInTraining, saveMatcherModel, trainMatcher } from '../src/learning/matcher.ts';
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
      assert.equal(r.stats.scorer, 'trained matcher logistic (matcher.json)');
      assert.equal(r.stats.threshold, matcher.model.threshold);
      // Measured: 48 of 60 matches among 94 pairs. The matcher has no bilingual knowledge (prices
      // in CNY vs USD, 颜色 vs colour), so on these cross-language shops it trails the built-in
      // sameProduct profile (F1 0.91); the bar here is that training really drives the decision.
      const found = r.pairs.filter((p) => gold.has(`${p.left.id}|${p.right.id}`)).length;
      const precision = found / r.pairs.length;
      const recall = found / gold.size;
      assert.ok(recall >= 0.7 && precision >= 0.4, `precision ${precision}, recall ${recall}`);
      for (const p of r.pairs) assert.ok(p.score >= matcher.model.threshold);

      // Every pair carries the model's contributions, which add up to its logit.
      for (const p of r.pairs) {
        const learned = p.learned!;
        assert.equal(learned.probability, p.score);
        const full = matcher.explain({ left: productToPairRecord(a.get(p.left.id)!), right: productToPairRecord(b.get(p.right.id)!) });
        const sum = full.contributions.reduce((s, c) => s + c.contribution, full.base);
        assert.ok(Math.abs(sum - full.logit) < 1e-9, `contributions ${sum} vs logit ${full.logit}`);
        assert.ok(Math.abs(1 / (1 + Math.exp(-full.logit)) - p.score) < 1e-9, 'the logistic probability is σ(logit)');
        // The title words behind the learned token model's feature come with the answer.
        assert.deepEqual(learned.tokenTerms, full.tokenTerms);
      }
      assert.ok(r.pairs.some((p) => p.learned!.tokenTerms.length > 0), 'some pair names the title words the token model weighed');

      // The same model ranks and thresholds similar items, substitutes and dedup.
      await engine.ingest('data/shop-a.jsonl');
      const someId = [...a.keys()][0]!;
      const similar = await engine.similar({ id: someId, k: 5, model: modelPath });
      assert.equal(similar.scorer, 'trained matcher logistic (matcher.json)');
      assert.equal(similar.minScore, matcher.model.threshold);
      for (const item of similar.items) {
        assert.ok(item.score >= matcher.model.threshold);
        assert.ok(item.learned && item.learned.contributions.length > 0);
        assert.equal(typeof item.fusedScore, 'number');
      }
      assert.equal(similar.noGoodMatch, similar.items.length === 0);
      const history = [...a.keys()].slice(0, 3);
      const recs = await engine.recommend({ history, k: 5, model: modelPath });
      const plain = await engine.recommend({ history, k: 5 });
      assert.equal(plain.sameAsHistory, 0);
      const probabilities = matcher.score(recs.items.flatMap((item) => history.map((h) => ({ left: productToPairRecord(a.get(h)!), right: productToPairRecord(a.get(item.product.id) ?? b.get(item.product.id)!) }))));
      for (const p of probabilities) assert.ok(p < matcher.model.threshold, 'nothing the model calls a history item is recommended');
      const dedup = await engine.dedup(undefined, { model: modelPath });
      assert.equal(dedup.stats.scorer, 'trained matcher logistic (matcher.json)');
      for (const g of dedup.groups) for (const p of g.pairs) assert.ok(p.score >= matcher.model.threshold);
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the model file knows its training pairs, so an evaluation can say it scores them', () => {
  const pair = (l: string, r: string, label: 0 | 1): LabeledPair => ({ left: { title: l }, right: { title: r }, label, leftId: l, rightId: r });
  const train = [pair('a1', 'b1', 1), pair('a2', 'b2', 0), pair('a3', 'b3', 1), pair('a4', 'b4', 0)];
  const matcher = trainMatcher(train, [], { classifier: 'logistic' });
  assert.equal(pairsSeenInTraining(matcher.model, [pair('a1', 'b1', 1), pair('x', 'y', 0)]), 1);
  // The same pair with its sides swapped is the same pair.
  assert.equal(pairsSeenInTraining(matcher.model, [pair('b2', 'a2', 0)]), 1);
  assert.equal(pairsSeenInTraining(matcher.model, [pair('x', 'y', 0)]), 0);
});
