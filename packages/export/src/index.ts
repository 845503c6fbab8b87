// TF-free: the dashboard imports this entry. The merged checkpoint (engine) is `@peft-lab/export/checkpoint`.
export * from './errors.js';
export { modelCard, methodLabel, type ModelCardInput, type ExportKind } from './model-card.js';
export {
  trialAdapterZip, checkpointExportPlan, checkpointCard, checkpointSourceFiles, zipDirectory, frameworkVersions, TRIAL_EXPORT_FORMATS,
  type ExportArchive, type TrialExportFormat, type CheckpointExportPlan,
} from './trial-export.js';
