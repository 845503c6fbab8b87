// Hyperparameter importance of a sweep's stored trials (PED-ANOVA): pure, deterministic.
export {
  parameterImportance,
  parameterImportanceByMethod,
  type ImportanceTrial,
  type ImportanceOptions,
  type ImportanceResult,
  type ParameterImportance,
  type MethodImportance,
} from './ped-anova.js';
export { trialParameters } from './parameters.js';
export { searchSpaceDomains, storedSpecDomains } from './space.js';
export type { ParamDomain } from './parzen.js';
export { quantileFilter, trialsNeeded } from './quantile-filter.js';
