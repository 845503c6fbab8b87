// Recreates packages/data/builtin-model/tokenizer.json and tokenizer_config.json.
// Usage (from the repository root): npx tsx packages/data/scripts/train-tokenizer.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_MODEL_DIR, tokenizerFiles, trainBuiltinTokenizer } from '../src/tokenizer/builtin-tokenizer.js';

const started = performance.now();
const tokenizer = trainBuiltinTokenizer();
const seconds = (performance.now() - started) / 1000;
mkdirSync(BUILTIN_MODEL_DIR, { recursive: true });
for (const [name, text] of Object.entries(tokenizerFiles(tokenizer))) writeFileSync(join(BUILTIN_MODEL_DIR, name), text);
console.log(JSON.stringify({ vocabSize: tokenizer.vocabSize, merges: tokenizer.model.merges.length, seconds: Number(seconds.toFixed(1)), dir: 'packages/data/builtin-model' }));
