-- The claim queue in global claim order. claimNextTask orders by (priority DESC, createdAt, id) across
-- every eligible campaign, so an index that leads with campaignId cannot deliver that order and the
-- planner sorts every open task on each claim; this one lets it stop at the first claimable task.
CREATE INDEX "Task_claim_order_idx" ON "Task" ("priority" DESC, "createdAt", "id")
  WHERE status = 'OPEN' AND "openSlots" > 0;
