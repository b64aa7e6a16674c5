/**
 * `npm run demo`: a tour of prodsim on the sample catalog shipped in data/, as a new user would
 * type it. Each step prints the command and runs it through the real CLI (in this process).
 */
import { rmSync } from 'node:fs';
import { main } from '../src/cli/main.ts';

const STORE = '.prodsim/demo.db';

const steps: { say: string; argv: string[] }[] = [
  { say: 'Ingest the bilingual sample catalog (validation, jieba + English analysis, GloVe/CC-CEDICT vectors, image features, ANN index)', argv: ['ingest', 'data/sample-catalog.jsonl'] },
  { say: 'Similar items for an iPhone, with per-field explanations', argv: ['similar', 'P0001', '-k', '5', '--explain', '1'] },
  { say: 'In-stock substitutes for an out-of-stock product', argv: ['similar', 'P0004', '-k', '5', '--substitutes', '--explain', '0'] },
  { say: 'Hybrid search in Chinese', argv: ['search', '红色连衣裙', '-k', '5'] },
  { say: 'Hybrid search in English, with a typo in the model number', argv: ['search', 'sony wh1000xm6 headphones', '-k', '5'] },
  { say: 'Tag similarity with a decision', argv: ['tags', 'similarity', '红色衣服', '红色连衣裙'] },
  { say: 'Synonym groups of the catalog tags', argv: ['tags', 'groups'] },
  { say: 'Match two shops (cross-platform, Chinese ↔ English)', argv: ['match', 'data/shop-a.jsonl', 'data/shop-b.jsonl', '--explain', '1'] },
  { say: 'Duplicates inside the catalog', argv: ['dedup'] },
  { say: "Recommendations from a user's history", argv: ['recommend', '--history', 'P0113,P0002:buy', '-k', '5'] },
  { say: 'A price reference from similar products', argv: ['price', 'P0002', '-k', '8'] },
];

rmSync(STORE, { force: true });
rmSync(`${STORE}-wal`, { force: true });
rmSync(`${STORE}-shm`, { force: true });
for (const step of steps) {
  process.stdout.write(`\n\x1b[1m## ${step.say}\x1b[0m\n$ prodsim --store ${STORE} ${step.argv.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}\n`);
  const code = await main(['node', 'prodsim', '--store', STORE, ...step.argv]);
  if (code !== 0) {
    process.exitCode = code;
    break;
  }
}
