/**
 * A Hugging Face `tokenizer.json` (+ `tokenizer_config.json`) through
 * @huggingface/tokenizers, which reproduces the Python ids. The raw JSON is
 * kept so a saved model directory carries the same tokenizer files.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { CheckpointFormatError } from '../errors.js';

export interface HfTokenizer {
  /** Token ids with the tokenizer's special tokens ([CLS]/[SEP] for BERT). */
  encode(text: string): number[];
  decode(ids: number[]): string;
  /** Id of the padding token, or null when the tokenizer defines none. */
  readonly padTokenId: number | null;
  readonly tokenizerJson: Record<string, unknown>;
  readonly tokenizerConfig: Record<string, unknown>;
  readonly tokenizer: Tokenizer;
}

export function tokenizerFromJson(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown> = {}): HfTokenizer {
  const tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  const padToken = typeof tokenizerConfig.pad_token === 'string' ? tokenizerConfig.pad_token : null;
  const padTokenId = padToken !== null ? (tokenizer.token_to_id(padToken) ?? null) : null;
  return {
    encode: (text) => tokenizer.encode(text).ids,
    decode: (ids) => tokenizer.decode(ids),
    padTokenId,
    tokenizerJson,
    tokenizerConfig,
    tokenizer,
  };
}

/** Reads `<dir>/tokenizer.json` and, when present, `<dir>/tokenizer_config.json`. */
export function loadTokenizer(dir: string): HfTokenizer {
  const path = join(dir, 'tokenizer.json');
  if (!existsSync(path)) throw new CheckpointFormatError(`${dir}: tokenizer.json is missing`);
  const configPath = join(dir, 'tokenizer_config.json');
  const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {};
  return tokenizerFromJson(JSON.parse(readFileSync(path, 'utf8')), config);
}

export function saveTokenizer(tokenizer: HfTokenizer, dir: string): void {
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer.tokenizerJson));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizer.tokenizerConfig, null, 2));
}
