import { createRequire } from 'node:module';
import type { Jieba as JiebaType } from '@node-rs/jieba';

const require = createRequire(import.meta.url);

/**
 * jieba loads its 5 MB dictionary once per process; analysers share one instance per
 * user-word list so building many analysers (tests, tasks) stays cheap.
 */
const instances = new Map<string, JiebaType>();

export function loadJieba(userWords: readonly string[]): JiebaType {
  const key = userWords.join('\n');
  const cached = instances.get(key);
  if (cached) return cached;
  const { Jieba } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
  const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
  const jieba = Jieba.withDict(dict);
  if (userWords.length > 0) {
    // Frequency high enough that jieba keeps the word whole (钢化膜, 高腰…).
    jieba.loadDict(Buffer.from(userWords.map((w) => `${w} 100000`).join('\n')));
  }
  instances.set(key, jieba);
  return jieba;
}
