/**
 * A family's config.json keys as one table read both ways: `normalizeWithKeys` (config.json →
 * NormalizedConfig, at load) and `hfConfigWithKeys` (NormalizedConfig → config.json, at export),
 * as transformers.js's `getNormalizedConfig` renames the family keys once. GPT-2, BERT (and
 * RoBERTa through it) and DistilBERT use it; the Llama-shaped decoders share
 * `normalizeDecoderConfig` (../llama/config.ts). A family keeps its own checks of what the engine
 * does not run and the constants it writes.
 */
import { UnsupportedConfigError } from '../../errors.js';
import type { ModelFamily, NormalizedConfig } from '../../types.js';

/** config.json key and transformers' default; a `null` key: not in config.json, always the default. */
export type HfKey<T> = readonly [key: string | null, dflt: T];

export interface HfConfigKeys {
  readonly family: ModelFamily;
  /** The activation key, its default and the values the engine runs (saved as `extra.activation`). */
  readonly activation: { readonly key: string; readonly dflt: string; readonly supported: readonly string[] };
  readonly vocabSize: HfKey<number>;
  readonly dModel: HfKey<number>;
  readonly numLayers: HfKey<number>;
  /** Also numKvHeads (these families have no grouped-query attention). */
  readonly numHeads: HfKey<number>;
  /** The default may depend on the width (GPT-2, DistilBERT: 4 · dModel). */
  readonly ffnDim: readonly [key: string, dflt: number | ((dModel: number) => number)];
  readonly maxPositions: HfKey<number>;
  readonly layerNormEps: HfKey<number>;
  /** `extra.<name>`, in order after `activation`. */
  readonly extra: Readonly<Record<string, HfKey<unknown>>>;
  /** Throws UnsupportedConfigError for what the family does not run (after the activation check). */
  readonly rejectUnsupported?: (raw: Record<string, any>) => void;
  /** Written after everything else on export (`tie_word_embeddings: true`, …). */
  readonly exportConstants: Readonly<Record<string, unknown>>;
}

/** num_labels, else the size of id2label; undefined when config.json gives neither. */
export function labelCount(raw: Record<string, any>): number | undefined {
  if (typeof raw.num_labels === 'number') return raw.num_labels;
  if (raw.id2label && typeof raw.id2label === 'object') return Object.keys(raw.id2label).length;
  return undefined;
}

const read = <T>(raw: Record<string, any>, [key, dflt]: HfKey<T>): T => (key === null ? dflt : (raw[key] ?? dflt));

/**
 * config.json → NormalizedConfig by `keys`.
 * @throws UnsupportedConfigError for an activation the engine does not run, what `rejectUnsupported` rejects, or heads that do not divide the width.
 */
export function normalizeWithKeys(raw: Record<string, any>, keys: HfConfigKeys): NormalizedConfig {
  const act = raw[keys.activation.key] ?? keys.activation.dflt;
  if (!keys.activation.supported.includes(act)) throw new UnsupportedConfigError(keys.activation.key, act, `supported: ${keys.activation.supported.join(', ')}`);
  keys.rejectUnsupported?.(raw);
  const dModel = read(raw, keys.dModel);
  const numHeads = read(raw, keys.numHeads);
  if (dModel % numHeads !== 0) throw new UnsupportedConfigError(keys.numHeads[0] ?? 'numHeads', numHeads, `must divide ${keys.dModel[0]}=${dModel}`);
  const [ffnKey, ffnDefault] = keys.ffnDim;
  return {
    family: keys.family,
    vocabSize: read(raw, keys.vocabSize),
    dModel,
    numLayers: read(raw, keys.numLayers),
    numHeads,
    numKvHeads: numHeads,
    headDim: dModel / numHeads,
    ffnDim: raw[ffnKey] ?? (typeof ffnDefault === 'function' ? ffnDefault(dModel) : ffnDefault),
    maxPositions: read(raw, keys.maxPositions),
    layerNormEps: read(raw, keys.layerNormEps),
    numLabels: labelCount(raw),
    extra: { activation: act, ...Object.fromEntries(Object.entries(keys.extra).map(([name, k]) => [name, read(raw, k)])) },
  };
}

/** NormalizedConfig → config.json by `keys` (an `extra` value left out takes its default). */
export function hfConfigWithKeys(c: NormalizedConfig, keys: HfConfigKeys): Record<string, unknown> {
  const x = c.extra;
  const out: Record<string, unknown> = {
    model_type: keys.family,
    [keys.activation.key]: x.activation ?? keys.activation.dflt,
  };
  const sizes: [HfKey<number> | HfConfigKeys['ffnDim'], number][] = [
    [keys.vocabSize, c.vocabSize], [keys.dModel, c.dModel], [keys.numLayers, c.numLayers], [keys.numHeads, c.numHeads],
    [keys.ffnDim, c.ffnDim], [keys.maxPositions, c.maxPositions], [keys.layerNormEps, c.layerNormEps],
  ];
  for (const [[key], v] of sizes) if (key !== null) out[key] = v;
  for (const [name, [key, dflt]] of Object.entries(keys.extra)) if (key !== null) out[key] = x[name] ?? dflt;
  return { ...out, ...keys.exportConstants };
}
