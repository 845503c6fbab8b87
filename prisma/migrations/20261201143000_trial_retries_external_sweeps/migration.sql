-- Resume and ask-and-tell (issue 14 §1, §3).
-- Trial.retryOfId: `sweep resume` re-queues a failed or cancelled trial as a NEW row linked
-- to the one it retries, so the old row keeps its error, summary, metric points and artifacts.
-- Sweep.external: a sweep trained elsewhere (`sweep create --external`, ask-and-tell); its
-- suggestions are reserved by `sweep ask`, never claimed by workers.
-- AlterTable
ALTER TABLE "Sweep" ADD COLUMN     "external" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Trial" ADD COLUMN     "retryOfId" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "Trial_retryOfId_key" ON "Trial"("retryOfId");

-- AddForeignKey
ALTER TABLE "Trial" ADD CONSTRAINT "Trial_retryOfId_fkey" FOREIGN KEY ("retryOfId") REFERENCES "Trial"("id") ON DELETE SET NULL ON UPDATE CASCADE;
