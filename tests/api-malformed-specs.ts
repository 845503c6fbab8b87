// Generated malformed sweep bodies: random compositions of mutations, each of which
// alone makes a valid spec invalid, plus bodies that are not specs at all.
import { rng } from './api-helpers';

type Obj = Record<string, any>;

export function validSpec(name = 'api-test'): Obj {
  return {
    name,
    task: 'spam',
    baseModel: 'builtin',
    methods: [
      { method: 'lora', space: { r: [2, 4], alpha: 16 } },
      { method: 'prefix', space: { prefixLength: 4, reparameterize: false } },
    ],
    training: { lr: 1e-3, maxSteps: 10, batchSize: 4, evalEvery: 5 },
    seeds: 2,
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Each entry turns a valid spec into an invalid one (in place). */
const MUTATIONS: Array<[string, (s: Obj, r: () => number) => void]> = [
  ['r not ≥ 1', (s, r) => { s.methods[0].space.r = pick(r, [0, -1, [0, 2], { min: 0, max: 4 }]); }],
  ['r wrong type', (s, r) => { s.methods[0].space.r = pick(r, ['8', true, null, { foo: 1 }, [[2]]]); }],
  ['r not an integer', (s, r) => { s.methods[0].space.r = pick(r, [1.5, [2, 2.5]]); }],
  ['unknown method', (s, r) => { s.methods[pick(r, [0, 1])].method = pick(r, ['loraa', 'LoRA', '', 42, null, 'ia3x']); }],
  ['method missing', (s) => { delete s.methods[1].method; }],
  ['negative lr', (s, r) => { s.training.lr = pick(r, [-1e-3, 0, -5, [1e-3, -1e-3]]); }],
  ['lr wrong type', (s, r) => { s.training.lr = pick(r, ['fast', null, {}, true]); }],
  ['unknown top-level key', (s, r) => { s[pick(r, ['nmae', 'lr', 'extra', 'method'])] = 1; }],
  ['unknown space key', (s, r) => { s.methods[0].space[pick(r, ['rank', 'prefixLength', 'lr', 'x'])] = 4; }],
  ['space key of another method', (s) => { s.methods[1].space.r = 4; }],
  ['unknown training key', (s, r) => { s.training[pick(r, ['learningRate', 'steps', 'foo'])] = 3; }],
  ['missing required field', (s, r) => { delete s[pick(r, ['name', 'task', 'methods', 'training'])]; }],
  ['methods not a non-empty list', (s, r) => { s.methods = pick(r, [[], {}, 'lora', 7, null, { method: 'lora' }]); }],
  ['method entry not an object', (s, r) => { s.methods[0] = pick(r, ['lora', 3, null, ['lora'], true]); }],
  ['space not an object', (s, r) => { s.methods[0].space = pick(r, ['r=4', 4, [1, 2], true]); }],
  ['training not an object', (s, r) => { s.training = pick(r, ['x', 3, [1], null, true]); }],
  ['both epochs and maxSteps', (s) => { s.training.epochs = 1; }],
  ['neither epochs nor maxSteps', (s) => { delete s.training.maxSteps; }],
  ['bad maxSteps', (s, r) => { s.training.maxSteps = pick(r, [0, -3, 2.5, '10']); }],
  ['bad batchSize', (s, r) => { s.training.batchSize = pick(r, [0, -1, 'big', 0.5]); }],
  ['bad seeds', (s, r) => { s.seeds = pick(r, [0, -1, '3', [1, 1], [-2], [], 1.5, 100000]); }],
  ['bad strategy', (s, r) => { s.strategy = pick(r, [{ type: 'tpe', count: 3 }, { type: 'annealing' }, 'grid?', { type: 'grid', foo: 1 }, { type: 'random', count: 0 }, 7]); }],
  ['huge grid over budget', (s) => { s.methods[0].space.r = { min: 1, max: 64 }; s.budget = { maxTrials: 10 }; }],
  ['huge grid', (s) => { s.methods[0].space.r = { min: 1, max: 100000 }; s.seeds = 50; }],
  ['bad budget', (s, r) => { s.budget = pick(r, [{ maxTrials: 0 }, { maxParallel: -1 }, { maxTrials: 'all' }, { workers: 2 }, 5]); }],
  ['bad early stopping', (s, r) => { s.earlyStopping = pick(r, [{ type: 'median', afterEvals: 0 }, { type: 'asha', reductionFactor: 1 }, { type: 'hyperband' }, 'median', { type: 'median', patience: 3 }]); }],
  ['bad baseline', (s, r) => { s.baseline = pick(r, ['partial', true, 0, null]); }],
  ['bad name', (s, r) => { s.name = pick(r, ['', 42, null, 'x'.repeat(300), ['a']]); }],
  ['bad task', (s, r) => { s.task = pick(r, ['', 5, null, {}]); }],
  ['unknown task', (s, r) => { s.task = pick(r, ['no-such-task', 'spam2', 'SPAM']); }],
  ['bad objective', (s, r) => { s.objective = pick(r, [{ metric: 'accuracy', direction: 'up' }, { metric: '' , direction: 'maximize' }, 'accuracy', { metric: 'accuracy' }]); }],
  ['float range in grid', (s) => { s.methods[0].space.alpha = { min: 1, max: 32 }; }],
  ['bad dropout', (s, r) => { s.methods[0].space.dropout = pick(r, [1, -0.1, 2, 'some']); }],
  ['bad adapter', (s, r) => { s.methods.push({ method: 'adapter', space: pick(r, [{ bottleneck: 0 }, { placement: 'middle' }, { activation: 'sigmoidx' }, { bottleneck: 8, reductionFactor: 4 }]) }); }],
  ['bad prompt', (s, r) => { s.methods.push({ method: 'prompt', space: pick(r, [{ promptLength: 0 }, { init: 'zeros' }, { init: 'text' }]) }); }],
  ['array instead of object', (s) => { s.training = [s.training]; }],
];

/** Bodies that are not a spec object at all (sent as raw text with content-type application/json). */
const RAW_BODIES: string[] = [
  '', ' ', 'not json', '{', '{"name": "x",', '[]', '[{"name":"x"}]', 'null', '42', '"a string"', 'true',
  '{"yaml": 42}', '{"yaml": null}', '{"yaml": "name: [unclosed"}', '{"yaml": "- just\\n- a list"}', '{"yaml": "name: x", "extra": 1}',
  '{"yaml": ""}', '\u0000\u0001', '{"name": "x"}garbage', '{"__proto__": {"polluted": true}}', "{'single': 'quotes'}",
  '{"a":' + '['.repeat(2000) + ']'.repeat(2000) + '}',
];

export interface MalformedBody {
  label: string;
  raw: string;
  /** raw YAML sent with content-type application/yaml */
  yaml?: boolean;
}

/** `n` structurally mutated specs (1–3 mutations each) followed by every raw body. */
export function generateMalformedBodies(n: number, seed = 1): MalformedBody[] {
  const r = rng(seed);
  const out: MalformedBody[] = [];
  for (let i = 0; i < n; i++) {
    const spec = validSpec(`malformed-${i}`);
    const k = 1 + Math.floor(r() * 3);
    const labels: string[] = [];
    for (let j = 0; j < k; j++) {
      const [label, mutate] = pick(r, MUTATIONS);
      // A later mutation may replace what an earlier one broke; each must still apply to an object.
      try {
        mutate(spec, r);
        labels.push(label);
      } catch {
        /* the earlier mutation removed what this one edits: the spec is already invalid */
      }
    }
    const asYaml = r() < 0.15;
    out.push(asYaml
      ? { label: `yaml: ${labels.join(' + ')}`, raw: JSON.stringify({ yaml: JSON.stringify(spec) }) }
      : { label: labels.join(' + '), raw: JSON.stringify(spec) });
  }
  for (const raw of RAW_BODIES) out.push({ label: `raw ${JSON.stringify(raw.slice(0, 30))}`, raw });
  out.push({ label: 'raw yaml: not a mapping', raw: '- a\n- b\n', yaml: true });
  out.push({ label: 'raw yaml: broken', raw: 'name: [x\n  task: : :', yaml: true });
  return out;
}
