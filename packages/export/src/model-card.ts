/**
 * The README.md model card shipped beside an exported trial, in Hugging Face's model-card layout
 * (the template `huggingface_hub` fills for peft adapters): YAML front matter the Hub indexes
 * (`library_name`, `base_model`, `tags`, `datasets`, `pipeline_tag`), then Model Details, Training
 * Details (data, hyperparameters, training parameters), Evaluation (the trial's summary, with the
 * TensorFlow.js backend that measured it), measurements, and Framework versions.
 * Pure: everything comes in `ModelCardInput`.
 */
import { stringify } from 'yaml';

export type ExportKind = 'adapter' | 'merged' | 'full';

export interface ModelCardInput {
  kind: ExportKind;
  trial: { id: string; index: number; method: string; seed: number; hyperparameters: unknown; summary: unknown; measurements: unknown; backend: string | null; finishedAt: Date | null };
  sweep: { id: string; name: string };
  baseModel: string;
  /** Task / dataset name, and whether it is a built-in task or an imported dataset. */
  dataset: { name: string; builtin: boolean; labels?: string[] };
  /** What the card says the model does: causal-lm, sequence-classification, token-classification. */
  head: string;
  /** The adapter's adapter_config.json, when there is one (its r, alpha, target modules…). */
  adapterConfig?: Record<string, unknown> | null;
  /** name → version, e.g. `{ 'PEFT Lab': '0.1.0', 'TensorFlow.js': '4.22.0', 'Node.js': 'v20.19.0' }`. */
  frameworkVersions: Record<string, string>;
}

const METHOD_LABELS: Record<string, string> = {
  lora: 'LoRA', ia3: '(IA)³', adapter: 'Bottleneck adapters', prefix: 'Prefix tuning', prompt: 'Prompt tuning', full: 'Full fine-tuning',
};

const PIPELINE_TAGS: Record<string, string> = { 'causal-lm': 'text-generation', 'sequence-classification': 'text-classification', 'token-classification': 'token-classification' };

/** `a.b.c` → value for the nested plain values of `v` (arrays as JSON). */
function flat(v: unknown, prefix = '', out: Record<string, string | number | boolean | null> = {}) {
  if (v === null || v === undefined) return out;
  if (typeof v !== 'object' || Array.isArray(v)) {
    out[prefix || 'value'] = Array.isArray(v) ? JSON.stringify(v) : (v as string | number | boolean);
    return out;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) flat(x, prefix ? `${prefix}.${k}` : k, out);
    else out[prefix ? `${prefix}.${k}` : k] = x === undefined ? null : Array.isArray(x) ? JSON.stringify(x) : (x as string | number | boolean | null);
  }
  return out;
}

const cell = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '')) : String(v)).replace(/\|/g, '\\|');

function table(rows: [string, unknown][], head: [string, string]): string {
  if (!rows.length) return '_None recorded._\n';
  return [`| ${head[0]} | ${head[1]} |`, '| --- | --- |', ...rows.map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`)].join('\n') + '\n';
}

/** The method's display label, with DoRA named when the LoRA adapter uses it. */
export function methodLabel(method: string, adapterConfig?: Record<string, unknown> | null): string {
  if (method === 'lora' && adapterConfig?.use_dora === true) return 'DoRA (weight-decomposed LoRA)';
  return METHOD_LABELS[method] ?? method;
}

/**
 * The README.md text.
 * @example modelCard({ kind: 'adapter', trial, sweep, baseModel: 'gpt2-tiny', dataset: { name: 'tiny-spam', builtin: false }, head: 'sequence-classification', frameworkVersions })
 */
export function modelCard(input: ModelCardInput): string {
  const { trial, kind } = input;
  const label = methodLabel(trial.method, input.adapterConfig);
  const front: Record<string, unknown> = {
    ...(kind === 'adapter' ? { library_name: 'peft' } : { library_name: 'transformers' }),
    base_model: input.baseModel,
    ...(kind === 'merged' ? { base_model_relation: 'merge' } : kind === 'full' ? { base_model_relation: 'finetune' } : { base_model_relation: 'adapter' }),
    tags: [
      ...(kind === 'adapter' ? [`base_model:adapter:${input.baseModel}`] : []),
      trial.method === 'lora' && input.adapterConfig?.use_dora === true ? 'dora' : trial.method,
      ...(kind === 'merged' ? ['merged'] : []),
      'peft-lab',
      ...(kind === 'adapter' ? ['peft'] : []),
    ],
    datasets: [input.dataset.name],
    pipeline_tag: PIPELINE_TAGS[input.head] ?? 'text-generation',
  };
  const what = kind === 'adapter' ? `A ${label} adapter (PEFT format: adapter_config.json + adapter_model.safetensors)`
    : kind === 'merged' ? `${input.baseModel} with a ${label} adapter merged into its weights (a plain transformers checkpoint: no peft needed to load it)`
    : `${input.baseModel} fully fine-tuned (every weight trained)`;
  const auto = input.head === 'causal-lm' ? 'AutoModelForCausalLM' : input.head === 'token-classification' ? 'AutoModelForTokenClassification' : 'AutoModelForSequenceClassification';
  const load = kind === 'adapter'
    ? [
      '```python',
      'from peft import PeftModel',
      `from transformers import ${auto}`,
      '',
      `base = ${auto}.from_pretrained("<${input.baseModel} directory>")`,
      'model = PeftModel.from_pretrained(base, "<this directory>")',
      '```',
    ]
    : [
      '```python',
      `from transformers import ${auto}, AutoTokenizer`,
      '',
      `model = ${auto}.from_pretrained("<this directory>")`,
      'tokenizer = AutoTokenizer.from_pretrained("<this directory>")',
      '```',
    ];
  const hp = flat(trial.hyperparameters);
  const training = Object.entries(hp).filter(([k]) => k.startsWith('training.')).map(([k, v]) => [k.slice('training.'.length), v] as [string, unknown]);
  const methodHp = Object.entries(hp).filter(([k]) => !k.startsWith('training.'));
  const adapterCfg = input.adapterConfig
    ? Object.entries(input.adapterConfig).filter(([k, v]) => v !== null && !['auto_mapping', 'revision', 'base_model_name_or_path'].includes(k)).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : v] as [string, unknown])
    : [];
  const summary = Object.entries(flat(trial.summary));
  const measurements = Object.entries(flat(trial.measurements)).filter(([, v]) => typeof v === 'number');
  const backend = trial.backend ? `TensorFlow.js backend \`${trial.backend}\`` : 'a backend that was not recorded';
  const lines = [
    '---',
    stringify(front).trimEnd(),
    '---',
    '',
    `# ${label} on ${input.baseModel}: ${input.dataset.name} (PEFT Lab trial #${trial.index})`,
    '',
    `${what}, trained by PEFT Lab in sweep "${input.sweep.name}".`,
    '',
    '## Model Details',
    '',
    '### Model Description',
    '',
    `- **Method:** ${label}${kind === 'merged' ? ' (merged)' : ''}`,
    `- **Base model:** ${input.baseModel}`,
    `- **Task:** ${input.head}`,
    `- **Dataset:** ${input.dataset.name} (${input.dataset.builtin ? 'built-in PEFT Lab task' : 'imported dataset'})${input.dataset.labels?.length ? `; labels: ${input.dataset.labels.join(', ')}` : ''}`,
    `- **Trained with:** PEFT Lab (TensorFlow.js), trial ${trial.id} of sweep ${input.sweep.id}${trial.finishedAt ? `, finished ${trial.finishedAt.toISOString()}` : ''}`,
    '',
    '## How to Get Started with the Model',
    '',
    ...load,
    '',
    '## Training Details',
    '',
    '### Training Data',
    '',
    `${input.dataset.name}${input.dataset.builtin ? ' (a task packaged with PEFT Lab)' : ' (imported into PEFT Lab)'}.`,
    '',
    '### Training Procedure',
    '',
    '#### Method hyperparameters',
    '',
    table(methodHp, ['Hyperparameter', 'Value']),
    ...(adapterCfg.length ? ['#### Adapter configuration (adapter_config.json)', '', table(adapterCfg, ['Key', 'Value'])] : []),
    '#### Training parameters',
    '',
    table([['seed', trial.seed], ...training], ['Parameter', 'Value']),
    '## Evaluation',
    '',
    '### Results',
    '',
    `Measured by PEFT Lab on ${backend}, at the end of training.`,
    '',
    table(summary, ['Metric', 'Value']),
    ...(measurements.length ? ['### Measurements', '', table(measurements, ['Measurement', 'Value'])] : []),
    '### Framework versions',
    '',
    ...Object.entries(input.frameworkVersions).map(([k, v]) => `- ${k} ${v}`),
    `- Backend ${trial.backend ?? 'not recorded'}`,
    '',
  ];
  return lines.join('\n');
}
