/**
 * What a PEFT method declares about itself, as plain data: no TensorFlow here, nor in any
 * `peft/<method>/declaration.ts` (sweeps, the report and the dashboard read these through
 * `@peft-lab/engine/methods`, which must stay free of @tensorflow/*: only plain TS, relative
 * imports of other declaration files).
 *
 * A method's declaration is the one place for its name, labels, chart colour, hyperparameters
 * (kind, range, default, help; which a sweep may search, and under which name), its
 * trainable-parameter formula when the normalized config gives it, and its save format. The
 * engine's zod config schema (`peft/<method>/config.ts`) takes its defaults from here; the sweep
 * spec, the dashboard form, the worker's sweep → engine mapping, `peft-lab train --set`, the
 * report and the dashboard's method lists derive from here.
 */

/** int/float: numbers; bool; enum: one of `options`; string: free text; string-list: names; int-list: integers (token ids). */
export type ParamKind = 'int' | 'float' | 'bool' | 'enum' | 'string' | 'string-list' | 'int-list';
/** What a sweep spec may give (a sweep never takes token ids: it takes text and tokenizes it). */
export type SweepParamKind = Exclude<ParamKind, 'int-list'>;

/** A value of an engine config key. */
export type ConfigValue = number | string | boolean | null | readonly string[] | readonly number[];
/** A concrete value as a sweep trial carries it. */
export type SweepValue = number | string | boolean | string[];

/** The rules one value must meet. */
export interface ParamRules<K extends ParamKind = ParamKind> {
  readonly kind: K;
  readonly min?: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
  readonly maxExclusive?: boolean;
  /** enum only */
  readonly options?: readonly string[];
  /** `null` is a value too (LoRA's baseModelNameOrPath). */
  readonly nullable?: boolean;
}

/**
 * How a sweep spec offers a hyperparameter: its name there and anything else that differs from
 * the engine's side. `sweep: true` = the same name, rules, default and help.
 */
export interface SweepFace {
  /** The spec's name (e.g. `prefixLength` for the engine's `numVirtualTokens`). */
  readonly name?: string;
  /** The spec's rules, when they differ; given `kind`, none of the engine's rules carry over. */
  readonly kind?: SweepParamKind;
  readonly min?: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
  readonly maxExclusive?: boolean;
  /** The form's help text, when it differs. */
  readonly help?: string;
  // No `default` here: a sweep trains with the engine's default (`MethodHyperparameter.default`),
  // so `peft-lab train --method M` without --set trains what a sweep entry without a space does.
  /** enum: spec value → engine value (the spec's options are the keys, in order). */
  readonly values?: Readonly<Record<string, string>>;
  /** The spec gives text; the engine gets its token ids (prompt tuning's initText → initTokenIds). */
  readonly tokenize?: true;
  /** The dashboard's effect chart plots the metric against this one (the first present of a method's). */
  readonly chart?: true;
}

export interface MethodHyperparameter extends ParamRules {
  /** The engine config key (attachPeft's config, `peft-lab train --set NAME=…`): peft's name, camelCased. */
  readonly name: string;
  /** One line for forms and errors. */
  readonly help: string;
  /**
   * What the method uses when the config leaves it out; absent = not set (the method decides:
   * LoRA's targets per family, the prefix MLP's width = the model's). The engine's zod schema
   * takes it from here.
   */
  readonly default?: ConfigValue;
  /**
   * No fixed default, yet leaving it out is fine: what the method then uses, in words (the
   * prefix MLP's width: "the model's hidden size"). A conditional parameter with neither this
   * nor a default is required where it applies (prompt tuning's initText).
   */
  readonly unsetMeans?: string;
  /** Only means something when another hyperparameter (engine name) has this value. */
  readonly appliesWhen?: { readonly param: string; readonly equals: string | boolean };
  /** At most one of the two may be given; this one's default is used only when neither is. */
  readonly exclusiveWith?: string;
  /** Present when a sweep may set and search it; absent = engine / `--set` only. */
  readonly sweep?: true | SweepFace;
}

/** The model sizes a trainable-parameter formula may read (a NormalizedConfig has them all). */
export interface ModelDims {
  readonly dModel: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly ffnDim: number;
  readonly vocabSize: number;
}

/** A PEFT adapter directory (adapter_config.json with this `peft_type` + adapter_model.safetensors), or the whole model. */
export type SaveFormat = { readonly peftType: string } | 'full checkpoint';

export interface MethodDeclaration<N extends string = string> {
  readonly name: N;
  /** Reports, tables: 'LoRA', 'Prefix tuning'. */
  readonly label: string;
  /** Chart legends and compact tables in the dashboard: 'Full FT', 'Prefix'. */
  readonly shortLabel: string;
  /** One sentence for the sweep form. */
  readonly summary: string;
  /** Chart colour (dashboard and report), `#rrggbb`. */
  readonly color: string;
  /** `peft-lab train`'s learning rate when `--set lr` is not given (the method's usual one: peft's examples, Lester et al. for prompts). */
  readonly defaultLr: number;
  readonly hyperparameters: readonly MethodHyperparameter[];
  /**
   * Trainable parameters the method adds, from the model's sizes and its config with defaults
   * applied (`withDefaults`); saved classification heads (modules_to_save) not included.
   * Absent when the sizes alone do not give it (LoRA: the targets' shapes; full: every weight).
   */
  readonly trainableParams?: (model: ModelDims, config: Readonly<Record<string, unknown>>) => number;
  readonly saveFormat: SaveFormat;
}

/** Keeps the name's literal type (so the registry's names form a union). */
export function defineMethod<const N extends string>(d: MethodDeclaration<N>): MethodDeclaration<N> {
  return d;
}

export function findHyperparameter(d: MethodDeclaration, name: string): MethodHyperparameter | undefined {
  return d.hyperparameters.find((p) => p.name === name);
}

/**
 * The declared default of engine key `name` (for the zod schemas: `.default(configDefault(LORA, 'alpha'))`).
 * @throws Error when the declaration gives none (a schema asking for one is a programming error).
 */
export function configDefault<T extends ConfigValue>(d: MethodDeclaration, name: string): T {
  const p = findHyperparameter(d, name);
  if (!p || p.default === undefined) throw new Error(`${d.name}.${name}: the declaration gives no default`);
  return p.default as T;
}

/** `config` with every declared default filled in where the key is absent (an exclusive pair's default only when neither is given). */
export function withDefaults(d: MethodDeclaration, config: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const p of d.hyperparameters) {
    if (out[p.name] !== undefined || p.default === undefined) continue;
    if (p.exclusiveWith && out[p.exclusiveWith] !== undefined) continue;
    out[p.name] = p.default;
  }
  return out;
}

/** Human rule for one value, e.g. "must be an integer ≥ 1", "must be a number in [0, 1)". */
export function describeRule(def: ParamRules): string {
  const rule = ((): string => {
    switch (def.kind) {
      case 'bool':
        return 'must be true or false';
      case 'enum':
        return `must be one of ${(def.options ?? []).join(', ')}`;
      case 'string':
        return 'must be a non-empty string';
      case 'string-list':
        return 'must be a non-empty list of distinct module names';
      case 'int-list':
        return `must be a non-empty list of integers${def.min !== undefined ? ` ≥ ${def.min}` : ''}`;
      case 'int':
      case 'float': {
        const what = def.kind === 'int' ? 'an integer' : 'a number';
        const { min, max } = def;
        if (min !== undefined && max !== undefined) {
          return `must be ${what} in ${def.minExclusive ? '(' : '['}${min}, ${max}${def.maxExclusive ? ')' : ']'}`;
        }
        if (min !== undefined) return `must be ${what} ${def.minExclusive ? '>' : '≥'} ${min}`;
        if (max !== undefined) return `must be ${what} ${def.maxExclusive ? '<' : '≤'} ${max}`;
        return `must be ${what}`;
      }
    }
  })();
  return def.nullable ? `${rule}, or null` : rule;
}

function inBounds(def: ParamRules, v: number): boolean {
  if (def.min !== undefined && (def.minExclusive ? v <= def.min : v < def.min)) return false;
  if (def.max !== undefined && (def.maxExclusive ? v >= def.max : v > def.max)) return false;
  return true;
}

/** Whether one concrete value satisfies `def` (numbers: kind, bounds; `asInt` forces integrality, for int-typed ranges of float params). */
export function isValidValue(def: ParamRules, v: unknown, asInt = false): boolean {
  if (v === null) return def.nullable === true;
  switch (def.kind) {
    case 'bool':
      return typeof v === 'boolean';
    case 'enum':
      return typeof v === 'string' && (def.options ?? []).includes(v);
    case 'string':
      return typeof v === 'string' && v.trim().length > 0;
    case 'string-list':
      return (
        Array.isArray(v) &&
        v.length > 0 &&
        v.every((s) => typeof s === 'string' && /^[A-Za-z0-9_.*-]+$/.test(s)) &&
        new Set(v).size === v.length
      );
    case 'int-list':
      return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isInteger(x) && inBounds(def, x));
    case 'int':
    case 'float': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return false;
      if ((def.kind === 'int' || asInt) && !Number.isInteger(v)) return false;
      return inBounds(def, v);
    }
  }
}

/** A hyperparameter as a sweep spec sees it (what `@peft-lab/sweeps` calls a ParamDefinition). */
export interface SweepParamDefinition extends ParamRules<SweepParamKind> {
  readonly name: string;
  readonly help: string;
  /** Used when the spec leaves the parameter out; absent = the parameter is simply not set. */
  readonly default?: SweepValue;
  /** No fixed default, yet optional: what the method uses when it is not set ("the model's hidden size"). */
  readonly unsetMeans?: string;
  /** The parameter only means something when another one has this value (dropped from trials otherwise). */
  readonly appliesWhen?: { readonly param: string; readonly equals: string | boolean };
  /** At most one of the two may be given; this one's default is used only when neither is. */
  readonly exclusiveWith?: string;
}

const face = (p: MethodHyperparameter): SweepFace | null => (p.sweep === undefined ? null : p.sweep === true ? {} : p.sweep);
const specName = (p: MethodHyperparameter) => face(p)?.name ?? p.name;
/** Engine value → spec value (an enum's `values` read backwards). */
function toSpecValue(p: MethodHyperparameter, v: unknown): unknown {
  const values = face(p)?.values;
  if (!values || typeof v !== 'string') return v;
  return Object.keys(values).find((k) => values[k] === v) ?? v;
}
function toEngineValue(p: MethodHyperparameter, v: unknown): unknown {
  const values = face(p)?.values;
  return values && typeof v === 'string' ? (values[v] ?? v) : v;
}
const param = (d: MethodDeclaration, name: string): MethodHyperparameter => {
  const p = findHyperparameter(d, name);
  if (!p) throw new Error(`${d.name}: no hyperparameter ${name}`);
  return p;
};

/** The hyperparameters a sweep may search, in the spec's names, rules and defaults (declaration order). */
export function sweepParameters(d: MethodDeclaration): SweepParamDefinition[] {
  return d.hyperparameters.flatMap((p): SweepParamDefinition[] => {
    const f = face(p);
    if (!f) return [];
    const rules: Partial<Omit<ParamRules, 'kind'>> & { kind: ParamKind } = f.kind !== undefined
      ? { kind: f.kind, min: f.min, minExclusive: f.minExclusive, max: f.max, maxExclusive: f.maxExclusive }
      : { kind: p.kind, min: f.min ?? p.min, minExclusive: f.minExclusive ?? p.minExclusive, max: f.max ?? p.max, maxExclusive: f.maxExclusive ?? p.maxExclusive, options: f.values ? Object.keys(f.values) : p.options };
    if (rules.kind === 'int-list' || p.nullable) throw new Error(`${d.name}.${p.name}: a sweep cannot take ${rules.kind}${p.nullable ? ' or null' : ''} values (give the sweep face its own kind)`);
    const dflt = f.tokenize ? undefined : toSpecValue(p, p.default);
    let appliesWhen: SweepParamDefinition['appliesWhen'];
    if (p.appliesWhen) {
      const ctrl = param(d, p.appliesWhen.param);
      appliesWhen = { param: specName(ctrl), equals: toSpecValue(ctrl, p.appliesWhen.equals) as string | boolean };
    }
    const def: Record<string, unknown> = {
      name: specName(p), kind: rules.kind, min: rules.min, minExclusive: rules.minExclusive, max: rules.max, maxExclusive: rules.maxExclusive,
      options: rules.options, default: dflt, unsetMeans: p.unsetMeans, appliesWhen, exclusiveWith: p.exclusiveWith ? specName(param(d, p.exclusiveWith)) : undefined,
      help: f.help ?? p.help,
    };
    for (const k of Object.keys(def)) if (def[k] === undefined) delete def[k];
    return [def as unknown as SweepParamDefinition];
  });
}

/** The spec names the dashboard's effect chart plots a method's metric against (first one present). */
export function chartParameters(d: MethodDeclaration): string[] {
  return d.hyperparameters.filter((p) => face(p)?.chart).map(specName);
}

/** A sweep hyperparameter the engine config cannot be made from (the field is the spec's name). */
export class SweepValueError extends Error {
  override name = 'SweepValueError';
  constructor(readonly field: string, readonly value: unknown, readonly reason: string) {
    super(`${field} ${JSON.stringify(value)}: ${reason}`);
  }
}

/**
 * The engine config for one trial's method hyperparameters (spec names → engine names and
 * values). Left out: values absent or null, a parameter whose `appliesWhen` does not hold (the
 * controlling value, or the spec's default for it when absent), an exclusive pair's defaulted
 * side when the other is given. `encode` tokenizes `tokenize` parameters (prompt initText).
 * @throws SweepValueError for a parameter without default that applies but is missing or empty.
 * @example configFromSweep(PREFIX, { prefixLength: 8, reparameterize: true, reparamHidden: 64 }, enc)
 *   // { numVirtualTokens: 8, prefixProjection: true, encoderHiddenSize: 64 }
 */
export function configFromSweep(d: MethodDeclaration, hp: Readonly<Record<string, unknown>>, encode: (text: string) => number[]): Record<string, unknown> {
  const given = (p: MethodHyperparameter) => hp[specName(p)] !== undefined && hp[specName(p)] !== null;
  const specDefs = sweepParameters(d);
  const out: Record<string, unknown> = {};
  for (const p of d.hyperparameters) {
    const f = face(p);
    if (!f) continue;
    const name = specName(p);
    if (p.appliesWhen) {
      const ctrl = param(d, p.appliesWhen.param);
      const ctrlValue = given(ctrl) ? hp[specName(ctrl)] : specDefs.find((x) => x.name === specName(ctrl))?.default;
      if (toEngineValue(ctrl, ctrlValue) !== p.appliesWhen.equals) continue;
      const v = hp[name];
      if (specDefs.find((x) => x.name === name)?.default === undefined && p.unsetMeans === undefined && (v === undefined || v === null || v === '')) {
        throw new SweepValueError(name, v, `required when ${specName(ctrl)} is ${String(toSpecValue(ctrl, p.appliesWhen.equals))}`);
      }
    }
    if (!given(p)) continue;
    if (p.exclusiveWith && p.default !== undefined && given(param(d, p.exclusiveWith))) continue;
    const v = hp[name];
    if (f.tokenize) {
      if (typeof v !== 'string' || v.length === 0) throw new SweepValueError(name, v, 'must be a non-empty string');
      out[p.name] = encode(v);
    } else out[p.name] = toEngineValue(p, v);
  }
  return out;
}
