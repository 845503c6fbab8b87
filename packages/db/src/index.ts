// @peft-lab/db: the Prisma client, embedded PostgreSQL, migrations, the trial queue,
// metric ingest and the read queries of the dashboard, reports and CLI.
export * from './errors';
export * from './connection';
export { connectDb, getPool, type Db, type ConnectDbOptions } from './client';
export { startEmbeddedPostgres, findFreePort, type EmbeddedPostgresOptions, type EmbeddedPostgresHandle } from './embedded-postgres';
export { applyMigrations, readMigrations, MIGRATIONS_DIR, type MigrationResult, type MigrationFile } from './migrate';
export * from './trial-state';
export { TrialQueue, type TrialLease, type HeartbeatResult, type RequeueResult } from './queue/trial-queue';
export * from './queue/inputs';
export { reserveSuggestedTrial, suggestionHistory, type ReserveResult, type ReserveOptions } from './queue/adaptive';
export { inTransaction } from './queue/insert-trials';
export * from './queries';
export { listSweeps, bestPerMethod, countsBySweep, type SweepListItem, type BestOfMethod, type ListSweepsOptions, type TrialCounts } from './sweep-list';
export * from './catalog';
export {
  writeBlob, readBlob, BlobReader, collectOrphanBlobs, blobChunkBytes, DEFAULT_BLOB_CHUNK_BYTES, MAX_BLOB_CHUNK_BYTES, BLOB_CHUNK_BYTES_ENV, READ_SLICE_BYTES,
  type BlobSource, type BlobInfo, type WriteBlobOptions, type BlobReadOptions, type BlobLookup,
} from './blobs';
export { storeArtifact, loadArtifactContent, openArtifactContent, artifactLocation, artifactIdOf, type StoreArtifactInput, type StoredArtifact, type ArtifactHead } from './artifacts';
export { leaseError } from './queue/lease';
// Row and enum types, one definition each, generated from prisma/schema.prisma.
export type { Prisma, PrismaClient, BaseModel, Dataset, Sweep, Trial, MetricPoint, Artifact, Blob, BlobChunk, Worker } from './generated/client';
export { BaseModelSource, DatasetKind, SweepStatus, TrialStatus, ArtifactKind } from './generated/enums';
export {
  submitSweep, newTrialsFromSpec, resolveBaseModel, resolveTask,
  type SubmitSweepOptions, type ResolvedModel, type ResolvedTask, type ResolveBaseModelOptions,
} from './sweep-submission';
export {
  pingDatabase, ensureSweepExists, ensureTrialExists, getTrialDetail, getSweepsByIds, getTrialsByIds, sweepMethods, completedTrialSummaries,
  type TrialDetail, type ArtifactInfo,
} from './dashboard-queries';
export { sweepChartRows, trialCurves, CHART_COST_MEASURES, type ChartCostMeasure, type SweepChartOptions, type SweepChartRows } from './sweep-charts';
export { objectiveOfSweep, objectiveTaskOfSweep, getSweepObjective, type SweepObjective, type SweepObjectiveSource } from './objective';
export { sweepReportData, type SweepReportData, type SweepReportOptions } from './report-data';
export { sweepAnalysisRows, type SweepAnalysisRows, type SweepAnalysisOptions } from './sweep-analysis';
export { resumeSweep, sweepResumeState, type ResumeSweepOptions, type ResumeSweepResult, type ResumedTrial, type ResumeState } from './resume';
export {
  submitExternalSweep, askTrial, tellTrial, ASK_OWNER, DEFAULT_ASK_LEASE_MS,
  type AskedTrial, type AskOptions, type TellInput, type TellResult,
} from './ask-tell';
export { sweepTrialAdapters, trialAdapter, type TrialAdapter, type TrialAdapterFile, type SweepTrialAdaptersOptions } from './trial-adapters';
export { trialExportInfo, type TrialExportInfo, type TrialExportFile } from './trial-export';
