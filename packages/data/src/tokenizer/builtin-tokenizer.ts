import { readFileSync } from 'node:fs';
import { pretrainCorpus } from '../pretrain-corpus.js';
import { trainByteLevelBpe } from './bpe-trainer.js';
import { ByteLevelBpeTokenizer, END_OF_TEXT, PAD } from './byte-level-bpe-tokenizer.js';
import { BUILTIN_MODEL_DIR } from '../builtin-model-dir.js';

export { BUILTIN_MODEL_DIR };
export const BUILTIN_VOCAB_SIZE = 4096;
export const BUILTIN_SPECIAL_TOKENS = [END_OF_TEXT, PAD] as const;

export interface TrainBuiltinTokenizerOptions {
  vocabSize?: number;
  /**
   * Use only the first this-many characters of each pretraining document.
   * Default: all of it (13 MB; ≈ 10 s of CPU on one core, no subsampling needed).
   */
  maxCharsPerDocument?: number;
}

/**
 * Trains the built-in model's tokenizer: byte-level BPE, 4,096 tokens
 * (<|endoftext|> = 0, <|pad|> = 1, the 256 bytes, 3,838 merges) on
 * pretrainCorpus() (Brown + State of the Union train documents, never Moby
 * Dick or any validation/test text). Deterministic: the same corpus gives the
 * same tokenizer.json byte for byte.
 */
export function trainBuiltinTokenizer(options: TrainBuiltinTokenizerOptions = {}): ByteLevelBpeTokenizer {
  const limit = options.maxCharsPerDocument ?? Infinity;
  const texts = pretrainCorpus().map((d) => (d.text.length > limit ? d.text.slice(0, limit) : d.text));
  const model = trainByteLevelBpe(texts, {
    vocabSize: options.vocabSize ?? BUILTIN_VOCAB_SIZE,
    specialTokens: BUILTIN_SPECIAL_TOKENS,
  });
  return new ByteLevelBpeTokenizer(model);
}

let builtin: ByteLevelBpeTokenizer | undefined;

/** The committed tokenizer (builtin-model/tokenizer.json), read once per process. */
export function loadBuiltinTokenizer(): ByteLevelBpeTokenizer {
  builtin ??= ByteLevelBpeTokenizer.fromTokenizerJson(
    JSON.parse(readFileSync(new URL('tokenizer.json', `file://${BUILTIN_MODEL_DIR}`), 'utf8')),
  );
  return builtin;
}

/** The two JSON files as text, exactly as committed (2-space indent, trailing newline). */
export function tokenizerFiles(tokenizer: ByteLevelBpeTokenizer): { 'tokenizer.json': string; 'tokenizer_config.json': string } {
  return {
    'tokenizer.json': JSON.stringify(tokenizer.toTokenizerJson(), null, 2) + '\n',
    'tokenizer_config.json': JSON.stringify(tokenizer.toTokenizerConfigJson(), null, 2) + '\n',
  };
}
