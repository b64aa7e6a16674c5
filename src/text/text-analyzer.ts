import { DEFAULT_TEXT_ANALYZER_OPTIONS, type AnalyzedText, type TextAnalyzer, type TextAnalyzerOptions } from './analyzer.ts';
import { loadJieba } from './chinese-segmenter.ts';
import { rejectUnknownKeys } from '../errors.ts';

/** NFKC folds full-width letters and digits to ASCII; case folding follows. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

const HAN = /\p{Script=Han}/u;

export function createTextAnalyzer(options: Partial<TextAnalyzerOptions> = {}): TextAnalyzer {
  rejectUnknownKeys(options, Object.keys(DEFAULT_TEXT_ANALYZER_OPTIONS), 'createTextAnalyzer');
  const opts: TextAnalyzerOptions = { ...DEFAULT_TEXT_ANALYZER_OPTIONS, ...options };
  const jieba = loadJieba(opts.userWords);

  function analyze(text: string): AnalyzedText {
    const normalized = normalizeText(text);
    const tokens: string[] = [];
    for (const piece of jieba.cut(normalized, true)) {
      const t = piece.trim();
      if (t.length === 0) continue;
      if (HAN.test(t) || /[\p{L}\p{N}]/u.test(t)) tokens.push(t);
    }
    return { normalized, tokens, modelNumbers: [], quantities: [], sizes: [] };
  }

  return { options: opts, analyze, tokenize: (text) => analyze(text).tokens };
}
