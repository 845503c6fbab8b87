// Shared set-up of the worker, CLI and chaos tests: a tiny real model (the gpt2-tiny
// Hugging Face fixture, 0.1 M parameters) and a tiny imported classification dataset.
import { fileURLToPath } from 'node:url';
import { upsertBaseModel, type Db } from '@peft-lab/db';
import { importAndRegisterDataset } from '@peft-lab/worker';

export const GPT2_TINY_DIR = fileURLToPath(new URL('../../packages/engine/test-fixtures/gpt2-tiny', import.meta.url));

/** 80 short e-mails, two labels, words chosen so the task is learnable in a few steps. */
export function tinySpamJsonl(n = 80): string {
  const spam = ['win', 'cash', 'prize', 'free', 'offer', 'click', 'money', 'winner'];
  const ham = ['meeting', 'notes', 'lunch', 'project', 'review', 'team', 'agenda', 'report'];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const words = i % 2 === 0 ? spam : ham;
    const text = Array.from({ length: 6 + (i % 5) }, (_, j) => words[(i * 3 + j * 5) % words.length]).join(' ');
    lines.push(JSON.stringify({ text, label: i % 2 === 0 ? 'spam' : 'ham' }));
  }
  return lines.join('\n') + '\n';
}

export async function registerTinyFixtures(db: Db): Promise<void> {
  await upsertBaseModel(db, { name: 'gpt2-tiny', family: 'gpt2', source: 'hf_dir', location: GPT2_TINY_DIR, config: {} });
  await importAndRegisterDataset(db, {
    name: 'tiny-spam', content: tinySpamJsonl(), format: 'jsonl', kind: 'sequence-classification',
    textColumn: 'text', labelColumn: 'label', seed: 1,
  });
}

/** A sweep spec over the tiny fixtures: full baseline + the given methods. */
export function tinySpec(name: string, methods: unknown[], training: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    name, baseModel: 'gpt2-tiny', task: 'tiny-spam', methods,
    training: { maxSteps: 10, batchSize: 4, evalEvery: 5, maxSeqLen: 16, lr: 0.003, ...training },
    seeds: 1, ...extra,
  };
}
