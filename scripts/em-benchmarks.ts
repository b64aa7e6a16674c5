/**
 * The public entity-matching benchmarks of `eval:em` and `eval:em-gap`: how each is loaded from
 * ../shared/datasets/entity-matching (train / valid / test pairs, the records IDF is fitted on, product
 * clusters where the benchmark has them) and the published figures it is compared with.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readPairs, readRecordTable, readWdcProductPairs, type LabeledPair, type PairRecord } from '../src/learning/pairs.ts';
import { recordsOfPairs } from '../src/learning/matcher.ts';
import type { RecordFieldMapping } from '../src/learning/fusion-learning.ts';

export function emBenchmarks(EM_DIR: string): Benchmark[] {
  return BENCHMARKS(EM_DIR);
}

export interface Benchmark {
  key: string;
  name: string;
  /** Field whose text the dense (GloVe SIF) feature encodes. */
  titleField: string;
  /** How records map onto the similarity stage's product fields (for the learned fusion profile). */
  mapping: RecordFieldMapping;
  load(): {
    train: LabeledPair[];
    valid: LabeledPair[];
    test: LabeledPair[];
    records: PairRecord[];
    /** Product cluster of a record when the benchmark has cluster ids (else matches' connected components). */
    clusterOf?: (record: PairRecord, pair: LabeledPair, side: 'left' | 'right') => string | undefined;
    /** Further test files (WDC Products' unseen-entity test sets, when present). */
    extraTests?: { name: string; pairs: LabeledPair[] }[];
  };
  published: { magellan?: number; deepmatcher?: number; ditto?: number; gpt4o?: number };
  ablation: boolean;
}

function tableBenchmark(EM_DIR: string, key: string, name: string, titleField: string, mapping: RecordFieldMapping, published: Benchmark['published']): Benchmark {
  return {
    key,
    name,
    titleField,
    mapping,
    published,
    ablation: true,
    load() {
      const dir = join(EM_DIR, key);
      const left = readRecordTable(join(dir, 'tableA.csv'));
      const right = readRecordTable(join(dir, 'tableB.csv'));
      const tables = { left, right };
      return {
        train: readPairs(join(dir, 'train.csv'), tables),
        valid: readPairs(join(dir, 'valid.csv'), tables),
        test: readPairs(join(dir, 'test.csv'), tables),
        records: [...left.values(), ...right.values()],
      };
    },
  };
}

function dittoBenchmark(EM_DIR: string, key: string, size: 'small' | 'medium', name: string, published: Benchmark['published']): Benchmark {
  return {
    key: `${key}-${size}`,
    name,
    titleField: 'title',
    mapping: { title: 'title' },
    published,
    ablation: false,
    load() {
      const dir = join(EM_DIR, key);
      const train = readPairs(join(dir, `train.txt.${size}`), {}, 'ditto');
      const valid = readPairs(join(dir, `valid.txt.${size}`), {}, 'ditto');
      const test = readPairs(join(dir, 'test.txt'), {}, 'ditto');
      // No catalog tables here: the records of all splits stand in for the catalog (text only, no labels).
      return { train, valid, test, records: recordsOfPairs([...train, ...valid, ...test]) };
    },
  };
}

function wdcProductsBenchmark(EM_DIR: string, size: 'small' | 'medium'): Benchmark {
  return {
    key: `wdc-products-${size}`,
    name: `WDC Products 80 % cc (${size})`,
    titleField: 'title',
    mapping: { title: 'title', description: 'description', brand: 'brand', price: 'price' },
    published: { gpt4o: 81.6 },
    ablation: false,
    load() {
      const dir = join(EM_DIR, 'wdc-products');
      const file = (stem: string) => join(dir, `wdcproducts80cc20rnd${stem}.jsonl`);
      const parts = [readWdcProductPairs(file(`000un_train_${size}`)), readWdcProductPairs(file(`000un_valid_${size}`)), readWdcProductPairs(file('000un_gs'))];
      const clusters = new Map(parts.flatMap((p) => [...p.clusterOf]));
      // Test sets with 50 % / 100 % of entities unseen in training, when the folder has them.
      const extraTests = ['050un', '100un']
        .filter((u) => existsSync(file(`${u}_gs`)))
        .map((u) => {
          const extra = readWdcProductPairs(file(`${u}_gs`));
          for (const [k, v] of extra.clusterOf) clusters.set(k, v);
          return { name: `${Number(u.slice(0, 3))} % unseen`, pairs: extra.pairs };
        });
      const [train, valid, test] = parts.map((p) => p.pairs) as [LabeledPair[], LabeledPair[], LabeledPair[]];
      return {
        train,
        valid,
        test,
        records: recordsOfPairs([...train, ...valid, ...test, ...extraTests.flatMap((e) => e.pairs)]),
        clusterOf: (_r, p, side) => clusters.get((side === 'left' ? p.leftId : p.rightId) ?? ''),
        extraTests,
      };
    },
  };
}

// Published test F1 from ../shared/datasets/datasets-published-numbers.csv (only figures listed there).
const BENCHMARKS = (EM_DIR: string): Benchmark[] => [
  tableBenchmark(EM_DIR, 'abt-buy', 'Abt-Buy', 'name', { title: 'name', description: 'description', price: 'price' }, { magellan: 43.6, deepmatcher: 62.8, ditto: 89.33 }),
  tableBenchmark(EM_DIR, 'amazon-google', 'Amazon-Google', 'title', { title: 'title', brand: 'manufacturer', price: 'price' }, { magellan: 49.1, deepmatcher: 69.3, ditto: 75.58 }),
  dittoBenchmark(EM_DIR, 'wdc-computers-ditto', 'small', 'WDC computers (small)', { ditto: 80.76 }),
  dittoBenchmark(EM_DIR, 'wdc-computers-ditto', 'medium', 'WDC computers (medium)', {}),
  dittoBenchmark(EM_DIR, 'wdc-shoes-ditto', 'small', 'WDC shoes (small)', {}),
  dittoBenchmark(EM_DIR, 'wdc-shoes-ditto', 'medium', 'WDC shoes (medium)', {}),
  wdcProductsBenchmark(EM_DIR, 'small'),
  wdcProductsBenchmark(EM_DIR, 'medium'),
];
