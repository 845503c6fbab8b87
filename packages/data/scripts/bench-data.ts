// Prints JSON: cold load time of each built-in task (ms) and built-in tokenizer encode throughput.
// Usage: npx tsx packages/data/scripts/bench-data.ts
import { listTasks, loadBuiltinTokenizer, loadTask, pretrainCorpus } from '../src/index.js';

const loadMs: Record<string, number> = {};
for (const { name } of listTasks()) {
  const t0 = performance.now();
  loadTask(name);
  loadMs[name] = Math.round(performance.now() - t0);
}
const tokenizer = loadBuiltinTokenizer();
const text = pretrainCorpus().slice(0, 20).map((d) => d.text).join('\n');
const t0 = performance.now();
const tokens = tokenizer.encode(text).length;
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ loadMs, tokenizer: { chars: text.length, tokens, charsPerToken: +(text.length / tokens).toFixed(2), tokensPerSecond: Math.round(tokens / seconds) } }));
