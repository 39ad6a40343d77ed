-- CreateEnum
CREATE TYPE "PayUnit" AS ENUM ('TASK', 'HOUR', 'OBJECT', 'VIDEO_MINUTE');

-- CreateEnum
CREATE TYPE "CommentKind" AS ENUM ('NOTE', 'QA_NOTE', 'CORRECTION', 'SKIP');

-- CreateEnum
CREATE TYPE "PayoutStatus" AS ENUM ('DRAFT', 'APPROVED');

-- AlterTable
ALTER TABLE "Assignment" ADD COLUMN     "releaseReason" TEXT,
ADD COLUMN     "releasedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Batch" ADD COLUMN     "deadline" TIMESTAMP(3),
ADD COLUMN     "priority" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Campaign" ADD COLUMN     "budgetAlertPercent" INTEGER NOT NULL DEFAULT 80,
ADD COLUMN     "budgetAlertedAt" TIMESTAMP(3),
ADD COLUMN     "budgetBlockedAt" TIMESTAMP(3),
ADD COLUMN     "capPerBatch" INTEGER,
ADD COLUMN     "capSharePerBatch" DOUBLE PRECISION,
ADD COLUMN     "goldMinAccuracy" DOUBLE PRECISION,
ADD COLUMN     "goldMinSamples" INTEGER NOT NULL DEFAULT 10,
ADD COLUMN     "goldRate" DOUBLE PRECISION NOT NULL DEFAULT 0,
ADD COLUMN     "qaSlaSeconds" INTEGER NOT NULL DEFAULT 86400,
ADD COLUMN     "reviewSlaSeconds" INTEGER NOT NULL DEFAULT 86400;

-- AlterTable
ALTER TABLE "CampaignMember" ADD COLUMN     "pauseReason" TEXT,
ADD COLUMN     "pausedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "PayRate" ADD COLUMN     "effectiveFrom" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "unit" "PayUnit" NOT NULL DEFAULT 'TASK';

-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "goldItemId" UUID;

-- CreateTable
CREATE TABLE "GoldItem" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "assetId" UUID NOT NULL,
    "frameIndex" INTEGER,
    "answer" JSONB NOT NULL,
    "explanation" TEXT NOT NULL DEFAULT '',
    "guidelineSection" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GoldItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GoldResult" (
    "id" UUID NOT NULL,
    "goldItemId" UUID NOT NULL,
    "taskId" UUID NOT NULL,
    "assignmentId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "correct" BOOLEAN NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GoldResult_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskComment" (
    "id" UUID NOT NULL,
    "taskId" UUID NOT NULL,
    "round" INTEGER NOT NULL DEFAULT 0,
    "authorId" UUID NOT NULL,
    "kind" "CommentKind" NOT NULL DEFAULT 'NOTE',
    "objectId" TEXT,
    "aboutUserId" UUID,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TaskComment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Alert" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "batchId" UUID,
    "kind" TEXT NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',
    "dedupeKey" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledgedAt" TIMESTAMP(3),
    "acknowledgedById" UUID,

    CONSTRAINT "Alert_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PayoutRun" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "currency" TEXT NOT NULL,
    "cutoff" TIMESTAMP(3) NOT NULL,
    "status" "PayoutStatus" NOT NULL DEFAULT 'DRAFT',
    "totalCents" INTEGER NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "approvedById" UUID,
    "approvedAt" TIMESTAMP(3),

    CONSTRAINT "PayoutRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PayoutLine" (
    "id" UUID NOT NULL,
    "payoutRunId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "entries" INTEGER NOT NULL,

    CONSTRAINT "PayoutLine_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PayoutItem" (
    "ledgerEntryId" UUID NOT NULL,
    "payoutRunId" UUID NOT NULL,

    CONSTRAINT "PayoutItem_pkey" PRIMARY KEY ("ledgerEntryId")
);

-- CreateIndex
CREATE INDEX "GoldItem_campaignId_active_idx" ON "GoldItem"("campaignId", "active");

-- CreateIndex
CREATE UNIQUE INDEX "GoldResult_assignmentId_key" ON "GoldResult"("assignmentId");

-- CreateIndex
CREATE INDEX "GoldResult_campaignId_userId_idx" ON "GoldResult"("campaignId", "userId");

-- CreateIndex
CREATE INDEX "TaskComment_taskId_createdAt_idx" ON "TaskComment"("taskId", "createdAt");

-- CreateIndex
CREATE INDEX "TaskComment_aboutUserId_idx" ON "TaskComment"("aboutUserId");

-- CreateIndex
CREATE UNIQUE INDEX "Alert_dedupeKey_key" ON "Alert"("dedupeKey");

-- CreateIndex
CREATE INDEX "Alert_campaignId_createdAt_idx" ON "Alert"("campaignId", "createdAt");

-- CreateIndex
CREATE INDEX "PayoutRun_organizationId_createdAt_idx" ON "PayoutRun"("organizationId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "PayoutLine_payoutRunId_userId_key" ON "PayoutLine"("payoutRunId", "userId");

-- CreateIndex
CREATE INDEX "PayoutItem_payoutRunId_idx" ON "PayoutItem"("payoutRunId");

-- AddForeignKey
ALTER TABLE "Task" ADD CONSTRAINT "Task_goldItemId_fkey" FOREIGN KEY ("goldItemId") REFERENCES "GoldItem"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GoldItem" ADD CONSTRAINT "GoldItem_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GoldResult" ADD CONSTRAINT "GoldResult_goldItemId_fkey" FOREIGN KEY ("goldItemId") REFERENCES "GoldItem"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GoldResult" ADD CONSTRAINT "GoldResult_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GoldResult" ADD CONSTRAINT "GoldResult_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskComment" ADD CONSTRAINT "TaskComment_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskComment" ADD CONSTRAINT "TaskComment_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "Batch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PayoutLine" ADD CONSTRAINT "PayoutLine_payoutRunId_fkey" FOREIGN KEY ("payoutRunId") REFERENCES "PayoutRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PayoutLine" ADD CONSTRAINT "PayoutLine_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PayoutItem" ADD CONSTRAINT "PayoutItem_ledgerEntryId_fkey" FOREIGN KEY ("ledgerEntryId") REFERENCES "LedgerEntry"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PayoutItem" ADD CONSTRAINT "PayoutItem_payoutRunId_fkey" FOREIGN KEY ("payoutRunId") REFERENCES "PayoutRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The application role reads and writes the new tables like any ordinary table (explicit, in case another owner
-- runs this migration than the one whose default privileges cover it).
GRANT SELECT, INSERT, UPDATE, DELETE ON "GoldItem", "GoldResult", "TaskComment", "Alert", "PayoutRun", "PayoutLine", "PayoutItem" TO suture_app;

-- Audit events about the new entities are stamped with their organisation like the others.
CREATE OR REPLACE FUNCTION suture_audit_organization() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  eid uuid;
BEGIN
  IF NEW."organizationId" IS NULL AND NEW."entityId" ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    eid := NEW."entityId"::uuid;
    NEW."organizationId" := CASE NEW."entityType"
      WHEN 'Organization' THEN (SELECT o.id FROM "Organization" o WHERE o.id = eid)
      WHEN 'User' THEN (SELECT u."organizationId" FROM "User" u WHERE u.id = eid)
      WHEN 'Campaign' THEN (SELECT c."organizationId" FROM "Campaign" c WHERE c.id = eid)
      WHEN 'Batch' THEN (SELECT c."organizationId" FROM "Batch" b JOIN "Campaign" c ON c.id = b."campaignId" WHERE b.id = eid)
      WHEN 'Asset' THEN (SELECT c."organizationId" FROM "Asset" a JOIN "Campaign" c ON c.id = a."campaignId" WHERE a.id = eid)
      WHEN 'Task' THEN (SELECT c."organizationId" FROM "Task" t JOIN "Campaign" c ON c.id = t."campaignId" WHERE t.id = eid)
      WHEN 'Annotation' THEN (SELECT c."organizationId" FROM "Annotation" a JOIN "Task" t ON t.id = a."taskId" JOIN "Campaign" c ON c.id = t."campaignId" WHERE a.id = eid)
      WHEN 'Review' THEN (SELECT c."organizationId" FROM "Review" r JOIN "Task" t ON t.id = r."taskId" JOIN "Campaign" c ON c.id = t."campaignId" WHERE r.id = eid)
      WHEN 'GoldItem' THEN (SELECT c."organizationId" FROM "GoldItem" g JOIN "Campaign" c ON c.id = g."campaignId" WHERE g.id = eid)
      WHEN 'Alert' THEN (SELECT c."organizationId" FROM "Alert" al JOIN "Campaign" c ON c.id = al."campaignId" WHERE al.id = eid)
      WHEN 'TaskComment' THEN (SELECT c."organizationId" FROM "TaskComment" tc JOIN "Task" t ON t.id = tc."taskId" JOIN "Campaign" c ON c.id = t."campaignId" WHERE tc.id = eid)
      WHEN 'PayoutRun' THEN (SELECT p."organizationId" FROM "PayoutRun" p WHERE p.id = eid)
      ELSE NULL
    END;
  END IF;
  IF NEW."organizationId" IS NULL AND NEW."actorId" IS NOT NULL THEN
    NEW."organizationId" := (SELECT u."organizationId" FROM "User" u WHERE u.id = NEW."actorId");
  END IF;
  RETURN NEW;
END
$$;
