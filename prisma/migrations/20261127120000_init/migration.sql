-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "BaseModelSource" AS ENUM ('builtin', 'hf-dir');

-- CreateEnum
CREATE TYPE "DatasetKind" AS ENUM ('builtin', 'imported');

-- CreateEnum
CREATE TYPE "SweepStatus" AS ENUM ('queued', 'running', 'completed', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "TrialStatus" AS ENUM ('queued', 'running', 'completed', 'failed', 'cancelled', 'pruned');

-- CreateEnum
CREATE TYPE "ArtifactKind" AS ENUM ('adapter', 'checkpoint', 'full-model', 'report');

-- CreateTable
CREATE TABLE "BaseModel" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "source" "BaseModelSource" NOT NULL,
    "location" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BaseModel_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Dataset" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "DatasetKind" NOT NULL,
    "taskKind" TEXT NOT NULL,
    "labels" JSONB,
    "sizes" JSONB NOT NULL,
    "location" TEXT NOT NULL,
    "contentHash" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Dataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Sweep" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "spec" JSONB NOT NULL,
    "status" "SweepStatus" NOT NULL DEFAULT 'queued',
    "maxParallel" INTEGER,
    "runningCount" INTEGER NOT NULL DEFAULT 0,
    "baseModelId" TEXT,
    "datasetId" TEXT,
    "task" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Sweep_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Trial" (
    "id" TEXT NOT NULL,
    "sweepId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "method" TEXT NOT NULL,
    "hyperparameters" JSONB NOT NULL,
    "seed" INTEGER NOT NULL,
    "status" "TrialStatus" NOT NULL DEFAULT 'queued',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 3,
    "leaseOwner" TEXT,
    "leaseToken" UUID,
    "leaseExpiresAt" TIMESTAMPTZ(3),
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "lastCheckpointStep" INTEGER,
    "lastCheckpointRef" TEXT,
    "summary" JSONB,
    "measurements" JSONB,
    "backend" TEXT,
    "error" TEXT,
    "progressStep" INTEGER NOT NULL DEFAULT 0,
    "progressTotal" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Trial_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MetricPoint" (
    "id" BIGSERIAL NOT NULL,
    "trialId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MetricPoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Artifact" (
    "id" TEXT NOT NULL,
    "trialId" TEXT NOT NULL,
    "kind" "ArtifactKind" NOT NULL,
    "location" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "step" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Artifact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Worker" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "backend" TEXT,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastHeartbeat" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Worker_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "BaseModel_name_key" ON "BaseModel"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Dataset_name_key" ON "Dataset"("name");

-- CreateIndex
CREATE INDEX "Sweep_status_createdAt_idx" ON "Sweep"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Trial_sweepId_status_idx" ON "Trial"("sweepId", "status");

-- CreateIndex
CREATE INDEX "Trial_status_leaseExpiresAt_idx" ON "Trial"("status", "leaseExpiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Trial_sweepId_index_key" ON "Trial"("sweepId", "index");

-- CreateIndex
CREATE UNIQUE INDEX "MetricPoint_trialId_name_step_key" ON "MetricPoint"("trialId", "name", "step");

-- CreateIndex
CREATE INDEX "Artifact_trialId_kind_step_idx" ON "Artifact"("trialId", "kind", "step");

-- AddForeignKey
ALTER TABLE "Sweep" ADD CONSTRAINT "Sweep_baseModelId_fkey" FOREIGN KEY ("baseModelId") REFERENCES "BaseModel"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Sweep" ADD CONSTRAINT "Sweep_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Trial" ADD CONSTRAINT "Trial_sweepId_fkey" FOREIGN KEY ("sweepId") REFERENCES "Sweep"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MetricPoint" ADD CONSTRAINT "MetricPoint_trialId_fkey" FOREIGN KEY ("trialId") REFERENCES "Trial"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Artifact" ADD CONSTRAINT "Artifact_trialId_fkey" FOREIGN KEY ("trialId") REFERENCES "Trial"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written below: what Prisma's schema language cannot express.

-- claimNextTrial scans only queued trials, in claim order (priority first, then
-- sweep creation, then position in the sweep); finished trials never bloat it.
CREATE INDEX "Trial_queued_next_idx" ON "Trial" ("priority" DESC, "createdAt", "sweepId", "index") WHERE "status" = 'queued';

-- Sweep.runningCount backs maxParallel. claimNextTrial increments it in the claim
-- statement (which holds the sweep row lock, so concurrent claims cannot overshoot);
-- this trigger decrements it on every path out of `running` (complete, fail, prune,
-- release, lease expiry, cancel, delete), so no caller can forget. Sweeps without
-- maxParallel are never touched: their claims stay free of a hot row.
CREATE FUNCTION "trial_running_count_leave"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."status" = 'running' AND (TG_OP = 'DELETE' OR NEW."status" <> 'running') THEN
    UPDATE "Sweep" SET "runningCount" = GREATEST("runningCount" - 1, 0)
    WHERE "id" = OLD."sweepId" AND "maxParallel" IS NOT NULL;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "Trial_running_count_leave"
AFTER UPDATE OF "status" OR DELETE ON "Trial"
FOR EACH ROW EXECUTE FUNCTION "trial_running_count_leave"();
