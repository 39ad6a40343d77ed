-- CreateEnum
CREATE TYPE "PrivacyStatus" AS ENUM ('NOT_REQUIRED', 'PENDING_REVIEW', 'RELEASED', 'REJECTED');

-- AlterEnum
ALTER TYPE "Role" ADD VALUE 'PRIVACY_OFFICER';

-- AlterTable
-- Backfill: assets ingested before the gate existed were already shown to annotators; every existing row (READY
-- ones included) takes the default NOT_REQUIRED. Only ingests from now on can leave an asset PENDING_REVIEW.
ALTER TABLE "Asset" ADD COLUMN     "privacyStatus" "PrivacyStatus" NOT NULL DEFAULT 'NOT_REQUIRED';

-- CreateTable
CREATE TABLE "PrivacyReview" (
    "assetId" UUID NOT NULL,
    "boxes" JSONB NOT NULL DEFAULT '[]',
    "revision" INTEGER NOT NULL DEFAULT 0,
    "appliedRevision" INTEGER NOT NULL DEFAULT 0,
    "frames" JSONB NOT NULL DEFAULT '[]',
    "decidedById" UUID,
    "decidedAt" TIMESTAMP(3),
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PrivacyReview_pkey" PRIMARY KEY ("assetId")
);

-- CreateIndex
CREATE INDEX "Asset_campaignId_privacyStatus_idx" ON "Asset"("campaignId", "privacyStatus");

-- AddForeignKey
ALTER TABLE "PrivacyReview" ADD CONSTRAINT "PrivacyReview_assetId_fkey" FOREIGN KEY ("assetId") REFERENCES "Asset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PrivacyReview" ADD CONSTRAINT "PrivacyReview_decidedById_fkey" FOREIGN KEY ("decidedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- The application role reads and writes reviews like any ordinary table. The default privileges of the audit_seal
-- migration cover tables its own role creates; the grant is explicit in case another owner runs this one.
GRANT SELECT, INSERT, UPDATE, DELETE ON "PrivacyReview" TO suture_app;
