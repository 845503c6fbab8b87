/**
 * A JSON-friendly description of what a sweep spec may contain, for the
 * dashboard form (render one field per hyperparameter with its default and
 * help) — derived from the same tables the schema uses, so they cannot drift.
 */
import { METHOD_DESCRIPTIONS, METHOD_HYPERPARAMETERS, METHOD_NAMES, TRAINING_PARAMETERS, describeRule, type MethodName, type ParamDefinition } from './hyperparameters.js';
import { LEADER_MODELLED_FROM, METHOD_DESIGN_MIN, methodDesignTrials } from './strategies/tpe/sampler.js';

export interface FieldDescription extends ParamDefinition {
  /** The validation rule in words, as errors print it ("must be an integer ≥ 1"). */
  readonly rule: string;
}

export interface SpecFormDescription {
  methods: { method: MethodName; summary: string; hyperparameters: FieldDescription[] }[];
  training: FieldDescription[];
  /** Ways to give any hyperparameter. */
  valueForms: { form: string; example: unknown; help: string }[];
  strategies: { type: string; supported: boolean; fields: string[]; help: string }[];
  earlyStopping: { type: string; fields: Record<string, { default: number; help: string }>; help: string }[];
  baseline: { options: ['full', 'none']; default: 'full'; help: string };
}

const field = (d: ParamDefinition): FieldDescription => ({ ...d, rule: describeRule(d) });

export function describeSpecForm(): SpecFormDescription {
  return {
    methods: METHOD_NAMES.map((method) => ({ method, summary: METHOD_DESCRIPTIONS[method], hyperparameters: METHOD_HYPERPARAMETERS[method].map(field) })),
    training: TRAINING_PARAMETERS.map(field),
    valueForms: [
      { form: 'value', example: 8, help: 'A single fixed value.' },
      { form: 'list', example: [4, 8, 16], help: 'Each value is tried (grid) or drawn uniformly (random).' },
      { form: 'choices', example: { choices: ['houlsby', 'pfeiffer'] }, help: 'Same as a list.' },
      { form: 'range', example: { min: 1e-5, max: 1e-2, scale: 'log', type: 'float' }, help: 'Numbers only. Grid needs step (additive for linear, a factor > 1 for log); int linear ranges step by 1.' },
    ],
    strategies: [
      { type: 'grid', supported: true, fields: [], help: 'Every configuration of every method × every seed.' },
      { type: 'random', supported: true, fields: ['count', 'seed'], help: 'count distinct configurations per method, from a seeded PRNG.' },
      { type: 'tpe', supported: true, fields: ['seed', 'startupTrials', 'candidates'], help: `Model-based search (TPE): each trial is suggested from the finished ones, up to budget.maxTrials; the method is one of the choices. With several methods, each first gets trials spread over its ranges (2 per searched parameter plus 2, at least ${METHOD_DESIGN_MIN}; the leading method's come from the model once it has ${LEADER_MODELLED_FROM}), so give the budget room (4 methods of 3 parameters: ${4 * methodDesignTrials(3)} trials before the model chooses the method).` },
    ],
    earlyStopping: [
      { type: 'none', fields: {}, help: 'Every trial runs to the end.' },
      {
        type: 'median',
        fields: {
          afterEvals: { default: 2, help: 'The rule applies from this many evaluations on.' },
          minTrials: { default: 3, help: 'Other trials that must have reached the evaluation first.' },
        },
        help: 'Stop a trial worse than the median of the others at the same evaluation.',
      },
      {
        type: 'asha',
        fields: {
          minEvals: { default: 1, help: 'Evaluations before the first rung.' },
          reductionFactor: { default: 3, help: 'η: keep the top 1/η at each rung.' },
        },
        help: 'Asynchronous successive halving.',
      },
    ],
    baseline: { options: ['full', 'none'], default: 'full', help: 'Add a full fine-tuning baseline unless methods already include full.' },
  };
}
