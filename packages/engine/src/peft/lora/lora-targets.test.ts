// LoRA's target modules and modules_to_save per family, named as peft names them: the defaults,
// every module name of each family, unknown names, and the classification heads saved beside the
// adapter. Where a Python with peft is present (python-reference.ts) the same configs go through
// peft 0.21 and the targeted modules, saved keys and defaults must be the same as ours.
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PeftConfigError } from '../../errors.js';
import { loadHfModel } from '../../hf/model-io.js';
import { FIXTURES, useTestBackend } from '../../models/test-helpers.js';
import type { HeadKind, ModelFamily, TransformerModel } from '../../types.js';
import { attachPeft } from '../base.js';
import { pythonPeftAvailable, pythonPeftVersion, runPythonJson, warnIfNoPythonPeft } from '../python-reference.js';
import { createLoraAttachment, DEFAULT_TARGET_MODULES, loraParamCount, type LoraAttachment } from './index.js';

beforeAll(async () => {
  await useTestBackend();
});
warnIfNoPythonPeft('LoRA targets against Python peft');

interface FamilyCase {
  fixture: string;
  family: ModelFamily;
  head: HeadKind;
  /** Every linear module name LoRA may target on this family (the supported list an error gives). */
  names: string[];
  /** The default targets' modules in layer 0 (the fixtures have 2 layers). */
  defaultsInLayer0: string[];
  /** Head linears trained and saved as modules_to_save by default. */
  savedHeads: string[];
}

const llamaNames = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const qv = (p: string) => [`${p}.self_attn.q_proj`, `${p}.self_attn.v_proj`];
const CASES: FamilyCase[] = [
  { fixture: 'gpt2-tiny', family: 'gpt2', head: 'causal-lm', names: ['c_attn', 'c_proj', 'c_fc'], defaultsInLayer0: ['transformer.h.0.attn.c_attn'], savedHeads: [] },
  { fixture: 'llama-tiny', family: 'llama', head: 'causal-lm', names: llamaNames, defaultsInLayer0: qv('model.layers.0'), savedHeads: [] },
  { fixture: 'qwen2-tiny', family: 'qwen2', head: 'causal-lm', names: llamaNames, defaultsInLayer0: qv('model.layers.0'), savedHeads: [] },
  { fixture: 'qwen2-tiny-cls', family: 'qwen2', head: 'sequence-classification', names: llamaNames, defaultsInLayer0: qv('model.layers.0'), savedHeads: ['score'] },
  { fixture: 'qwen3-tiny', family: 'qwen3', head: 'causal-lm', names: llamaNames, defaultsInLayer0: qv('model.layers.0'), savedHeads: [] },
  { fixture: 'mistral-tiny', family: 'mistral', head: 'causal-lm', names: llamaNames, defaultsInLayer0: qv('model.layers.0'), savedHeads: [] },
  { fixture: 'gemma-tiny', family: 'gemma', head: 'causal-lm', names: llamaNames, defaultsInLayer0: qv('model.layers.0'), savedHeads: [] },
  {
    fixture: 'phi3-tiny', family: 'phi3', head: 'causal-lm', names: ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj'],
    defaultsInLayer0: ['model.layers.0.self_attn.qkv_proj'], savedHeads: [],
  },
  {
    fixture: 'bert-tiny-cls', family: 'bert', head: 'sequence-classification', names: ['query', 'key', 'value', 'dense'],
    defaultsInLayer0: ['bert.encoder.layer.0.attention.self.query', 'bert.encoder.layer.0.attention.self.value'], savedHeads: ['classifier'],
  },
  {
    fixture: 'roberta-tiny-cls', family: 'roberta', head: 'sequence-classification', names: ['query', 'key', 'value', 'dense'],
    defaultsInLayer0: ['roberta.encoder.layer.0.attention.self.query', 'roberta.encoder.layer.0.attention.self.value'],
    savedHeads: ['classifier.dense', 'classifier.out_proj'],
  },
  {
    fixture: 'distilbert-tiny-cls', family: 'distilbert', head: 'sequence-classification', names: ['q_lin', 'k_lin', 'v_lin', 'out_lin', 'lin1', 'lin2'],
    defaultsInLayer0: ['distilbert.transformer.layer.0.attention.q_lin', 'distilbert.transformer.layer.0.attention.v_lin'],
    savedHeads: ['pre_classifier', 'classifier'],
  },
];

/**
 * Names that select every layer linear, as peft matches them. A bare `dense` would differ: peft
 * also puts LoRA on BERT's pooler and RoBERTa's classifier.dense, which our LoRA never targets
 * (head linears train as modules_to_save instead), so the encoders name theirs by path.
 */
const allLayerNames = (c: FamilyCase) => (c.names.includes('dense') ? [...c.names.filter((n) => n !== 'dense'), 'attention.output.dense', 'intermediate.dense', 'output.dense'] : c.names);

const open: { dispose(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.dispose();
});
function load(c: FamilyCase): TransformerModel {
  const { model } = loadHfModel(join(FIXTURES, c.fixture), { head: c.head });
  open.push(model);
  return model;
}
const targeted = (lora: LoraAttachment) => [...lora.modules.keys()];
const count = (lora: LoraAttachment) => [...lora.trainable.values()].reduce((n, v) => n + v.size, 0);

describe('LoRA targets per family, named as peft names them', () => {
  for (const c of CASES) {
    describe(`${c.fixture} (${c.family})`, () => {
      it(`defaults to ${DEFAULT_TARGET_MODULES[c.family].join(' + ')} in every layer${c.savedHeads.length ? `, saving ${c.savedHeads.join(' + ')}` : ''}`, () => {
        const model = load(c);
        const lora = attachPeft(model, 'lora', { r: 2 }) as LoraAttachment;
        const layer1 = c.defaultsInLayer0.map((n) => n.replace(/\.0\./, '.1.'));
        expect(targeted(lora).sort()).toEqual([...c.defaultsInLayer0, ...layer1].sort());
        expect(lora.savedModules).toEqual(c.savedHeads);
        expect(lora.adapterConfigJson()).toMatchObject({ target_modules: DEFAULT_TARGET_MODULES[c.family], modules_to_save: c.savedHeads.length ? ['classifier', 'score'] : null });
      });

      it(`targets each of ${c.names.join(', ')}; the count is Σ r·(in + out)`, () => {
        const model = load(c);
        const linears = model.linearModules();
        expect([...new Set(linears.map((m) => m.shortName))]).toEqual(c.names);
        for (const name of c.names) {
          const lora = createLoraAttachment(model, { r: 3, targetModules: [name], modulesToSave: [] });
          open.unshift(lora);
          const want = linears.filter((m) => m.shortName === name);
          expect(targeted(lora)).toEqual(want.map((m) => m.name));
          expect(count(lora)).toBe(want.reduce((n, m) => n + 3 * (m.inFeatures + m.outFeatures), 0));
          expect(loraParamCount(model, 3, [name])).toBe(count(lora));
        }
      });

      it('an unknown name is a PeftConfigError listing the family\'s module names', () => {
        const model = load(c);
        const unknown = c.family === 'gpt2' ? 'q_proj' : 'c_attn';
        expect(() => createLoraAttachment(model, { targetModules: [c.names[0], unknown] })).toThrow(PeftConfigError);
        expect(() => createLoraAttachment(model, { targetModules: [unknown] })).toThrow(`targetModules: "${unknown}" matches no linear module of this ${c.family} model (supported: ${c.names.join(', ')}`);
      });
    });
  }

  it("phi3: a Llama name says it lives in the fused module", () => {
    const model = load(CASES.find((c) => c.family === 'phi3')!);
    expect(() => createLoraAttachment(model, { targetModules: ['q_proj'] })).toThrow(/phi3 keeps q_proj inside the fused qkv_proj/);
    expect(() => createLoraAttachment(model, { targetModules: ['up_proj'] })).toThrow(/inside the fused gate_up_proj/);
  });

  it('modulesToSave naming something that is not a head linear is an error naming it', () => {
    const model = load(CASES.find((c) => c.fixture === 'qwen2-tiny-cls')!);
    expect(() => createLoraAttachment(model, { modulesToSave: ['embed_tokens'] })).toThrow(/modulesToSave: "embed_tokens" matches module model.embed_tokens.*head linears.*score/);
    expect(() => createLoraAttachment(model, { modulesToSave: ['q_proj'] })).toThrow(PeftConfigError);
  });
});

// peft's side of every case above, in one Python process (torch's import alone takes seconds).
const PEFT_SCRIPT = `
import json, sys, torch, transformers
from peft import LoraConfig, get_peft_model, get_peft_model_state_dict
from peft.tuners.lora import LoraLayer
from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as M
inp = json.load(open(sys.argv[1]))
out = {'mapping': {f: M.get(f) for f in inp['families']}, 'cases': []}
P = 'base_model.model.'
for c in inp['cases']:
    cls = transformers.AutoModelForCausalLM if c['head'] == 'causal-lm' else transformers.AutoModelForSequenceClassification
    model = cls.from_pretrained(c['dir'], dtype=torch.float32)
    task = 'CAUSAL_LM' if c['head'] == 'causal-lm' else 'SEQ_CLS'
    try:
        pm = get_peft_model(model, LoraConfig(r=2, target_modules=c['targets'], task_type=task))
    except ValueError as e:
        out['cases'].append({'error': str(e)})
        continue
    out['cases'].append({
        'targeted': sorted(n[len(P):] for n, m in pm.named_modules() if isinstance(m, LoraLayer)),
        'saved': sorted(get_peft_model_state_dict(pm).keys()),
        'modules_to_save': pm.peft_config['default'].modules_to_save,
        'target_modules': sorted(pm.peft_config['default'].target_modules),
    })
json.dump(out, open(sys.argv[2], 'w'))
`;

interface PeftCase {
  error?: string;
  targeted: string[];
  saved: string[];
  modules_to_save: string[] | null;
  target_modules: string[];
}

describe.skipIf(!pythonPeftAvailable)(`against Python peft ${pythonPeftVersion}`, () => {
  const runs = CASES.flatMap((c) => [{ c, targets: null as string[] | null }, { c, targets: allLayerNames(c) }]);
  let peft: { mapping: Record<string, string[] | null>; cases: PeftCase[] };
  beforeAll(() => {
    peft = runPythonJson(PEFT_SCRIPT, {
      families: [...new Set(CASES.map((c) => c.family))],
      cases: runs.map(({ c, targets }) => ({ dir: join(FIXTURES, c.fixture), head: c.head, targets })),
    });
  }, 180_000);

  it("DEFAULT_TARGET_MODULES is peft's mapping where peft has one; peft has none for phi3 and distilbert", () => {
    for (const c of CASES) {
      const theirs = peft.mapping[c.family];
      if (c.family === 'phi3' || c.family === 'distilbert') expect(theirs, c.family).toBeNull();
      else expect(DEFAULT_TARGET_MODULES[c.family], c.family).toEqual(theirs);
    }
  });

  runs.forEach(({ c, targets }, i) => {
    it(`${c.fixture} ${targets ? `on ${targets.join(', ')}` : 'with the defaults'}: the same modules targeted, heads saved and saved keys as peft`, () => {
      const theirs = peft.cases[i];
      if (targets === null && (c.family === 'phi3' || c.family === 'distilbert')) {
        // peft asks for target_modules here; ours falls back to DEFAULT_TARGET_MODULES.
        expect(theirs.error).toMatch(/target_modules/);
        return;
      }
      const model = load(c);
      const lora = createLoraAttachment(model, { r: 2, ...(targets ? { targetModules: targets } : {}) });
      open.unshift(lora);
      expect(targeted(lora).sort()).toEqual(theirs.targeted);
      expect([...lora.adapterTensors().keys()].sort()).toEqual(theirs.saved);
      const json = lora.adapterConfigJson();
      expect(json.modules_to_save).toEqual(theirs.modules_to_save);
      expect([...(json.target_modules as string[])].sort()).toEqual(theirs.target_modules);
    });
  });
});
