-- AlterTable
ALTER TABLE "Artifact" ADD COLUMN     "content" BYTEA;

-- AlterTable
ALTER TABLE "Dataset" ADD COLUMN     "content" BYTEA,
ADD COLUMN     "importOptions" JSONB;
