/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), as Optuna's TPESampler does it:
 * independent sampling over a conditional space (the method entry first, then that entry's
 * parameters), single- and multi-objective (MOTPE). suggestTrial (../../suggest.ts) calls
 * `tpeSuggest` once the startup trials are done.
 *
 * Files: truncnorm.ts (the kernels' distribution), parzen-estimator.ts (l(x), g(x)), split.ts
 * (below / above), multi-objective.ts (non-dominated sort, hypervolume), space.ts (how each
 * dimension is modelled), sampler.ts (the suggestion).
 */
export type { Observation, Suggestion, TpeOptions } from './observation.js';
export { tpeSuggest } from './sampler.js';
export { searchInputs, tpeDimension, type TpeDimension } from './space.js';
export { defaultGamma, splitObservations, type Split } from './split.js';
export {
  DEFAULT_PARZEN_PARAMETERS,
  defaultWeights,
  fitParzenEstimator,
  parzenLogPdf,
  sampleParzen,
  type ParamSpace,
  type ParzenEstimator,
  type ParzenEstimatorParameters,
} from './parzen-estimator.js';
export { hypervolume, hypervolumeWeights, nonDominationRanks, referencePoint, selectByHypervolume, splitMultiObjective } from './multi-objective.js';
