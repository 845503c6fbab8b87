import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { TokenizerError } from '../errors.js';
import { loadTask } from '../tasks/registry.js';
import { trainByteLevelBpe } from './bpe-trainer.js';
import { BUILTIN_MODEL_DIR, BUILTIN_VOCAB_SIZE, loadBuiltinTokenizer } from './builtin-tokenizer.js';
import { BYTE_TO_CHAR } from './byte-level.js';
import { ByteLevelBpeTokenizer, END_OF_TEXT, PAD } from './byte-level-bpe-tokenizer.js';

const SAMPLES = [
  'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse,',
  "The jury said it didn't find 1,234 irregularities in the $3.5 million election (Fulton County).",
  '  leading spaces,\ttabs\nnewlines\r\n and   runs of   spaces   ',
  'Unicode: naïve café, Ærøskøbing, Ünïcödé, 東京, русский текст, emoji 🐳🚢 and a ZWJ 👩‍💻.',
  `two documents${END_OF_TEXT}joined, then padding${PAD}${PAD}`,
  "it's we're they've I'm you'll he'd 'quoted' ''double'' ``brown``",
  '',
  ' ',
  'x',
];

describe('trainByteLevelBpe', () => {
  const corpus = ['the cat sat on the mat', 'the theme of the thesis', 'then the other them'];

  it('learns the most frequent pairs first, deterministically', () => {
    const a = trainByteLevelBpe(corpus, { vocabSize: 280, specialTokens: [END_OF_TEXT] });
    const b = trainByteLevelBpe(corpus, { vocabSize: 280, specialTokens: [END_OF_TEXT] });
    expect(a.merges).toEqual(b.merges);
    // "th" and "he" both occur 10 times (more than any other pair); the tie goes to the smaller byte pair.
    expect(a.merges.slice(0, 2)).toEqual([['h', 'e'], ['t', 'he']]);
    expect(a.vocab.get(END_OF_TEXT)).toBe(0);
    expect(a.vocab.get(BYTE_TO_CHAR[0])).toBe(1);
    expect(a.vocab.size).toBe(257 + a.merges.length);
    expect(a.vocab.has('Ġthe')).toBe(true);
  });

  it('stops when no pair occurs twice and rejects a vocabulary smaller than the alphabet', () => {
    const model = trainByteLevelBpe(['ab'], { vocabSize: 1000, specialTokens: [] });
    expect(model.merges).toEqual([]);
    expect(() => trainByteLevelBpe(corpus, { vocabSize: 100, specialTokens: [END_OF_TEXT] })).toThrow(
      new TokenizerError('vocabSize must be at least 257 (special tokens + 256 bytes), got 100'),
    );
  });
});

describe('built-in tokenizer', () => {
  const ours = loadBuiltinTokenizer();
  const tokenizerJson = JSON.parse(readFileSync(join(BUILTIN_MODEL_DIR, 'tokenizer.json'), 'utf8'));
  const configJson = JSON.parse(readFileSync(join(BUILTIN_MODEL_DIR, 'tokenizer_config.json'), 'utf8'));
  const hf = new Tokenizer(tokenizerJson, configJson);
  const moby = loadTask('lm-moby', { maxExamples: 20 }).splits.test.map((e) => (e as { text: string }).text);
  const spam = loadTask('spam', { maxExamples: 30 }).splits.test.map((e) => (e as { text: string }).text);

  it('has 4,096 tokens: <|endoftext|>, <|pad|>, 256 bytes, 3,838 merges', () => {
    expect(ours.vocabSize).toBe(BUILTIN_VOCAB_SIZE);
    expect(ours.specialTokenId(END_OF_TEXT)).toBe(0);
    expect(ours.specialTokenId(PAD)).toBe(1);
    expect(ours.model.merges).toHaveLength(BUILTIN_VOCAB_SIZE - 258);
    expect(() => ours.specialTokenId('[CLS]')).toThrow('"[CLS]" is not a special token of this tokenizer (<|endoftext|>, <|pad|>)');
  });

  it('round-trips text exactly', () => {
    for (const text of [...SAMPLES, ...moby, ...spam]) expect(ours.decode(ours.encode(text))).toBe(text);
  });

  it('compresses English (fewer than 0.4 tokens per character on held-out Moby Dick)', () => {
    const chars = moby.join('').length;
    const tokens = moby.reduce((n, t) => n + ours.encode(t).length, 0);
    expect(tokens / chars).toBeLessThan(0.4);
  });

  it('encodes and decodes exactly like @huggingface/tokenizers', () => {
    for (const text of [...SAMPLES, ...moby, ...spam]) {
      const ids = ours.encode(text);
      expect(hf.encode(text).ids).toEqual(ids);
      if (ids.length > 0) expect(hf.decode(ids)).toBe(ours.decode(ids));
    }
  });

  it('reads back the tokenizer.json it writes, and rejects other models', () => {
    const again = ByteLevelBpeTokenizer.fromTokenizerJson(ours.toTokenizerJson());
    expect(again.encode(SAMPLES[0])).toEqual(ours.encode(SAMPLES[0]));
    expect(JSON.stringify(ours.toTokenizerJson(), null, 2) + '\n').toBe(readFileSync(join(BUILTIN_MODEL_DIR, 'tokenizer.json'), 'utf8'));
    expect(() => ByteLevelBpeTokenizer.fromTokenizerJson({ model: { type: 'WordPiece' } })).toThrow(TokenizerError);
  });
});
