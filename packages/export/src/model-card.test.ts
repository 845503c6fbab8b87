import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { modelCard, type ModelCardInput } from './model-card.js';

const input = (over: Partial<ModelCardInput> = {}): ModelCardInput => ({
  kind: 'adapter',
  trial: { id: 't1', index: 3, method: 'lora', seed: 7, hyperparameters: { r: 8, alpha: 16, targetModules: ['q_proj', 'v_proj'], training: { lr: 0.001, batchSize: 4 } }, summary: { eval_accuracy: 0.875, steps: 10 }, measurements: { trainableParams: 1024, note: 'x' }, backend: 'tensorflow', finishedAt: new Date('2026-12-01T12:00:00Z') },
  sweep: { id: 's1', name: 'demo' },
  baseModel: 'qwen2-tiny',
  dataset: { name: 'spam', builtin: true, labels: ['ham', 'spam'] },
  head: 'sequence-classification',
  adapterConfig: { peft_type: 'LORA', r: 8, lora_alpha: 16, use_dora: false, target_modules: ['q_proj', 'v_proj'], revision: null },
  frameworkVersions: { 'PEFT Lab': '0.1.0', 'TensorFlow.js': '4.22.0', 'Node.js': 'v20.0.0' },
  ...over,
});
const frontOf = (card: string) => parse(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]);

describe('modelCard', () => {
  it("adapter: peft front matter, the method's hyperparameters apart from the training parameters, metrics with their backend, versions", () => {
    const card = modelCard(input());
    expect(frontOf(card)).toEqual({
      library_name: 'peft', base_model: 'qwen2-tiny', base_model_relation: 'adapter', tags: ['base_model:adapter:qwen2-tiny', 'lora', 'peft-lab', 'peft'], datasets: ['spam'], pipeline_tag: 'text-classification',
    });
    expect(card).toContain('| r | 8 |');
    expect(card).toContain('| targetModules | ["q_proj","v_proj"] |');
    expect(card).toContain('| lr | 0.001 |');
    expect(card).toContain('| seed | 7 |');
    expect(card).toContain('| lora_alpha | 16 |');
    expect(card).not.toContain('| revision |');
    expect(card).toContain('Measured by PEFT Lab on TensorFlow.js backend `tensorflow`');
    expect(card).toContain('| eval_accuracy | 0.875 |');
    expect(card).toContain('| trainableParams | 1024 |');
    expect(card).not.toContain('| note |');
    expect(card).toContain('labels: ham, spam');
    expect(card).toContain('- TensorFlow.js 4.22.0');
    expect(card).toContain('PeftModel.from_pretrained(base, "<this directory>")');
  });

  it('merged DoRA: a transformers card (no peft tag), the method named DoRA; a missing backend is said so', () => {
    const card = modelCard(input({ kind: 'merged', adapterConfig: { peft_type: 'LORA', use_dora: true }, trial: { ...input().trial, backend: null } }));
    expect(frontOf(card)).toMatchObject({ library_name: 'transformers', base_model_relation: 'merge', tags: ['dora', 'merged', 'peft-lab'] });
    expect(card).toContain('**Method:** DoRA (weight-decomposed LoRA) (merged)');
    expect(card).toContain('AutoModelForSequenceClassification.from_pretrained("<this directory>")');
    expect(card).toContain('a backend that was not recorded');
  });
});
