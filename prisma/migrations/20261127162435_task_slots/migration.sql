-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "slots" INTEGER NOT NULL DEFAULT 0;

-- Rounds already open: their slots are the campaign's overlap.
UPDATE "Task" t SET "slots" = c."overlap" FROM "Campaign" c WHERE c."id" = t."campaignId" AND t."status" <> 'PENDING';

-- The claim queue in two parts, both in global claim order: tasks in progress (a slot of the round taken),
-- which an annotator far ahead of the others may have labelled already and looks through only a little
-- way, and untouched tasks, none of which it can have labelled. They replace the single queue index.
CREATE INDEX "Task_claim_started_idx" ON "Task" ("priority" DESC, "createdAt", "id")
  WHERE "status" = 'OPEN' AND "openSlots" > 0 AND "openSlots" < "slots";
CREATE INDEX "Task_claim_fresh_idx" ON "Task" ("priority" DESC, "createdAt", "id")
  WHERE "status" = 'OPEN' AND "openSlots" > 0 AND "openSlots" >= "slots";
DROP INDEX "Task_claim_order_idx";
