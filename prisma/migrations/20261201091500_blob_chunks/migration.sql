-- Checkpoints, artifact files and imported datasets move from one bytea value per row
-- (PostgreSQL refuses a value over 1 GB; a full fine-tuning checkpoint of a 124 M-parameter
-- model is about 1.5 GB) to chunk rows: "Blob" (size, sha256, chunk count) + "BlobChunk"
-- (blob id, index, at most 64 MiB each by default). Generated with `prisma migrate diff`,
-- reordered so the old content is moved before its column is dropped; hand-written parts
-- are marked.

-- CreateTable
CREATE TABLE "Blob" (
    "id" TEXT NOT NULL,
    "trialId" TEXT,
    "leaseToken" UUID,
    "bytes" BIGINT,
    "sha256" TEXT,
    "chunkCount" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Blob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BlobChunk" (
    "blobId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "BlobChunk_pkey" PRIMARY KEY ("blobId","index")
);

-- Hand-written: chunks are stored out of line uncompressed. Checkpoints are float arrays
-- (pglz gains next to nothing on them and costs most of the write time).
ALTER TABLE "BlobChunk" ALTER COLUMN "data" SET STORAGE EXTERNAL;

-- AlterTable (the DROP COLUMN of "content" follows the data move below)
ALTER TABLE "Dataset" ADD COLUMN     "blobId" TEXT;
ALTER TABLE "Artifact" ADD COLUMN     "blobId" TEXT;

-- Hand-written: move the existing content into blobs of 64 MiB chunks. An artifact's blob
-- keeps the sha256 recorded when it was stored (so content corrupted before this migration
-- is still reported on read); a dataset's is computed from its content.
UPDATE "Artifact" SET "blobId" = gen_random_uuid()::text WHERE "content" IS NOT NULL;
INSERT INTO "Blob" ("id", "trialId", "bytes", "sha256", "chunkCount", "createdAt", "completedAt")
SELECT "blobId", "trialId", octet_length("content"), "sha256", ceil(octet_length("content") / 67108864.0)::int, "createdAt", "createdAt"
FROM "Artifact" WHERE "blobId" IS NOT NULL;
INSERT INTO "BlobChunk" ("blobId", "index", "data")
SELECT a."blobId", g.i, substring(a."content" FROM g.i * 67108864 + 1 FOR 67108864)
FROM "Artifact" a, generate_series(0, ceil(octet_length(a."content") / 67108864.0)::int - 1) AS g(i)
WHERE a."blobId" IS NOT NULL;

UPDATE "Dataset" SET "blobId" = gen_random_uuid()::text WHERE "content" IS NOT NULL;
INSERT INTO "Blob" ("id", "bytes", "sha256", "chunkCount", "createdAt", "completedAt")
SELECT "blobId", octet_length("content"), encode(sha256("content"), 'hex'), ceil(octet_length("content") / 67108864.0)::int, "createdAt", "createdAt"
FROM "Dataset" WHERE "blobId" IS NOT NULL;
INSERT INTO "BlobChunk" ("blobId", "index", "data")
SELECT d."blobId", g.i, substring(d."content" FROM g.i * 67108864 + 1 FOR 67108864)
FROM "Dataset" d, generate_series(0, ceil(octet_length(d."content") / 67108864.0)::int - 1) AS g(i)
WHERE d."blobId" IS NOT NULL;

-- AlterTable
ALTER TABLE "Dataset" DROP COLUMN "content";
ALTER TABLE "Artifact" DROP COLUMN "content";

-- CreateIndex
CREATE INDEX "Blob_trialId_idx" ON "Blob"("trialId");

-- CreateIndex
CREATE UNIQUE INDEX "Dataset_blobId_key" ON "Dataset"("blobId");

-- CreateIndex
CREATE UNIQUE INDEX "Artifact_blobId_key" ON "Artifact"("blobId");

-- AddForeignKey
ALTER TABLE "Dataset" ADD CONSTRAINT "Dataset_blobId_fkey" FOREIGN KEY ("blobId") REFERENCES "Blob"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Artifact" ADD CONSTRAINT "Artifact_blobId_fkey" FOREIGN KEY ("blobId") REFERENCES "Blob"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Blob" ADD CONSTRAINT "Blob_trialId_fkey" FOREIGN KEY ("trialId") REFERENCES "Trial"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BlobChunk" ADD CONSTRAINT "BlobChunk_blobId_fkey" FOREIGN KEY ("blobId") REFERENCES "Blob"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written below: what Prisma's schema language cannot express.

-- A blob belongs to the one row that points at it: when an Artifact or Dataset row is
-- deleted (superseded checkpoints, a deleted trial or dataset) or points at a new blob (a
-- re-imported dataset), its old blob and chunks go too, whoever deleted it.
CREATE FUNCTION "blob_owner_release"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."blobId" IS NOT NULL AND (TG_OP = 'DELETE' OR NEW."blobId" IS DISTINCT FROM OLD."blobId") THEN
    DELETE FROM "Blob" WHERE "id" = OLD."blobId";
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "Artifact_blob_release"
AFTER UPDATE OF "blobId" OR DELETE ON "Artifact"
FOR EACH ROW EXECUTE FUNCTION "blob_owner_release"();

CREATE TRIGGER "Dataset_blob_release"
AFTER UPDATE OF "blobId" OR DELETE ON "Dataset"
FOR EACH ROW EXECUTE FUNCTION "blob_owner_release"();
