-- Integrity rules Prisma's schema language cannot express; the database enforces them whatever the caller.

-- Double-blind slots: one live assignment per blind slot, one live slot per annotator per task round,
-- one live expert review per task round.
CREATE UNIQUE INDEX "Assignment_live_slot_key" ON "Assignment" ("taskId", "round", "slot")
  WHERE kind IN ('LABEL', 'REWORK') AND status IN ('ACTIVE', 'SUBMITTED');
CREATE UNIQUE INDEX "Assignment_live_annotator_key" ON "Assignment" ("taskId", "round", "userId")
  WHERE kind IN ('LABEL', 'REWORK') AND status IN ('ACTIVE', 'SUBMITTED');
CREATE UNIQUE INDEX "Assignment_live_review_key" ON "Assignment" ("taskId", "round")
  WHERE kind = 'REVIEW' AND status IN ('ACTIVE', 'SUBMITTED');

-- The claim queue: open tasks with a free slot, in claim order.
CREATE INDEX "Task_claim_queue_idx" ON "Task" ("campaignId", "priority" DESC, "createdAt", "id")
  WHERE status = 'OPEN' AND "openSlots" > 0;

-- A task never has fewer than zero free slots.
ALTER TABLE "Task" ADD CONSTRAINT "Task_openSlots_nonnegative" CHECK ("openSlots" >= 0);

-- The cost ledger and the audit log are append-only.
CREATE FUNCTION suture_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP;
END
$$;
CREATE TRIGGER "LedgerEntry_append_only" BEFORE UPDATE OR DELETE ON "LedgerEntry"
  FOR EACH ROW EXECUTE FUNCTION suture_append_only();
CREATE TRIGGER "AuditEvent_append_only" BEFORE UPDATE OR DELETE ON "AuditEvent"
  FOR EACH ROW EXECUTE FUNCTION suture_append_only();
