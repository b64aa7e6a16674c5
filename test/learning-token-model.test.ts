import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossFittedTokenLogits, fitTokenModel, tokenModelLogit, tokenModelTerms, tokenPairTerms, type TokenPair } from '../src/learning/token-model.ts';
import { trainMatcher, matcherFromModel, TOKEN_MODEL_FEATURE } from '../src/learning/matcher.ts';
import type { LabeledPair } from '../src/learning/pairs.ts';
import { clusterFolds } from '../src/learning/splits.ts';
import { seededRandom } from '../src/random.ts';

const set = (s: string) => new Set(s.split(' '));

test('token pair terms: shared tokens once, tokens of one side only from either side', () => {
  assert.deepEqual(tokenPairTerms(set('acme phone pro'), set('acme phone max')).sort(), ['one-side:max', 'one-side:pro', 'shared:acme', 'shared:phone']);
  assert.deepEqual(tokenPairTerms(set('a b'), set('b a')).sort(), ['shared:a', 'shared:b']);
});

/** Pairs of one product line: equal titles match; one side adding `pro` (another model) does not. */
function editionPairs(n: number, seed: number): TokenPair[] {
  const rand = seededRandom(seed);
  const out: TokenPair[] = [];
  for (let i = 0; i < n; i++) {
    const name = `brand${Math.floor(rand() * 50)} item${Math.floor(rand() * 50)}`;
    const shopWord = rand() < 0.5 ? ' new' : '';
    if (i % 2 === 0) out.push({ left: set(name), right: set(name + shopWord), label: 1 });
    else out.push({ left: set(name), right: set(`${name} pro${shopWord}`), label: 0 });
  }
  return out;
}

test('the token model learns that an edition word on one side counts against a match, a shop word not', () => {
  const state = fitTokenModel(editionPairs(400, 1));
  assert.ok(state.weights['one-side:pro']! < -1, `one-side:pro ${state.weights['one-side:pro']}`);
  assert.ok(Math.abs(state.weights['one-side:new'] ?? 0) < Math.abs(state.weights['one-side:pro']!) / 4, `one-side:new ${state.weights['one-side:new']}`);
  assert.ok(tokenModelLogit(state, set('brand1 item2'), set('brand1 item2 new')) > tokenModelLogit(state, set('brand1 item2'), set('brand1 item2 pro')) + 2);
  assert.equal(tokenModelTerms(state, set('brand1 item2'), set('brand1 item2 pro'), 1)[0]!.term, 'one-side:pro');
  // Deterministic: the same pairs and seed give the same weights.
  assert.deepEqual(fitTokenModel(editionPairs(400, 1)), state);
});

test('cluster folds keep every product, and the records it matches, in one fold', () => {
  const pairs: LabeledPair[] = [
    { left: { title: 'a' }, right: { title: 'a2' }, label: 1 },
    { left: { title: 'a2' }, right: { title: 'a3' }, label: 1 },
    { left: { title: 'a3' }, right: { title: 'b' }, label: 0 },
    { left: { title: 'c' }, right: { title: 'a' }, label: 0 },
  ];
  const folds = clusterFolds(pairs, 5, { seed: 3 });
  // a, a2 and a3 are one product: one fold.
  assert.equal(folds[0]![0], folds[0]![1]);
  assert.equal(folds[1]![0], folds[0]![0]);
  assert.equal(folds[2]![0], folds[0]![0]);
  assert.equal(folds[3]![1], folds[0]![0]);
  assert.throws(() => clusterFolds(pairs, 1), /folds must be an integer ≥ 2/);
});

test("cross-fitted logits come from models that never saw the pair's products", () => {
  // Each product's pairs carry a token of its own that decides them: a model fitted on all pairs
  // learns it (a large logit); a cross-fitted one never saw the product, so the token weighs nothing.
  const pairs: LabeledPair[] = [];
  for (let p = 0; p < 40; p++) {
    const own = `own${p}`;
    pairs.push({ left: { title: `x${p} ${own}` }, right: { title: `y${p} ${own}` }, label: 1 });
    pairs.push({ left: { title: `x${p} ${own}` }, right: { title: `z${p}` }, label: 0 });
  }
  const tokensOf = (pair: LabeledPair): TokenPair => ({ left: set(pair.left['title']!), right: set(pair.right['title']!), label: pair.label ?? 0 });
  const full = fitTokenModel(pairs.map(tokensOf));
  const crossFitted = crossFittedTokenLogits(pairs, tokensOf);
  const fullGap = tokenModelLogit(full, set('x0 own0'), set('y0 own0')) - tokenModelLogit(full, set('x0 own0'), set('z0'));
  assert.ok(fullGap > 1, `fitted on all pairs: match − non-match logit ${fullGap}`);
  // Cross-fitted: only the bias and the unseen tokens (weight 0) remain, the same for matches and non-matches.
  assert.ok(Math.abs(crossFitted[0]! - crossFitted[1]!) < 1e-9, `cross-fitted ${crossFitted[0]} vs ${crossFitted[1]}`);
});

test('a trained matcher carries its token model into the model file and its explanations', () => {
  const rand = seededRandom(5);
  const pairs = (n: number): LabeledPair[] =>
    Array.from({ length: n }, (_, i) => {
      const name = `acme widget w${Math.floor(rand() * 200)}`;
      return i % 2 === 0
        ? { left: { title: name }, right: { title: `${name} new` }, label: 1 }
        : { left: { title: name }, right: { title: `${name} pro` }, label: 0 };
    });
  const matcher = trainMatcher(pairs(300), pairs(100), { classifier: 'gbdt', gbdt: { trees: 40 }, gbdtSeeds: 1 });
  assert.equal(matcher.model.featureNames.at(-1), TOKEN_MODEL_FEATURE);
  assert.ok(matcher.model.tokenModel!.weights['one-side:pro']! < 0);
  const reloaded = matcherFromModel(JSON.parse(JSON.stringify(matcher.model)));
  const pair = { left: { title: 'acme widget w7' }, right: { title: 'acme widget w7 pro' } };
  assert.equal(reloaded.score([pair])[0], matcher.score([pair])[0]);
  assert.equal(reloaded.explain(pair).tokenTerms[0]!.term, 'one-side:pro');
  const without = trainMatcher(pairs(300), pairs(100), { classifier: 'gbdt', gbdt: { trees: 40 }, gbdtSeeds: 1, tokenModel: false });
  assert.equal(without.model.tokenModel, undefined);
  assert.ok(!without.model.featureNames.includes(TOKEN_MODEL_FEATURE));
});
