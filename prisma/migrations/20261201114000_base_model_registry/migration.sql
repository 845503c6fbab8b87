-- The base-model registry (`peft-lab model add`): what registration checked and recorded.
-- All nullable: rows written before it (and the tests' upserts) keep working.
-- AlterTable
ALTER TABLE "BaseModel" ADD COLUMN     "bytesOnDisk" BIGINT,
ADD COLUMN     "dtype" TEXT,
ADD COLUMN     "host" TEXT,
ADD COLUMN     "parameterCount" BIGINT;

