-- DropIndex
DROP INDEX "AuditEvent_hash_key";

-- AlterTable
ALTER TABLE "AuditEvent" DROP COLUMN "hash",
DROP COLUMN "prevHash",
ADD COLUMN     "txid" BIGINT NOT NULL DEFAULT ((pg_current_xact_id())::text)::bigint;

-- CreateTable
CREATE TABLE "AuditSeal" (
    "pos" BIGINT NOT NULL,
    "eventSeq" BIGINT NOT NULL,
    "eventTxid" BIGINT NOT NULL,
    "prevHash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "sealedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditSeal_pkey" PRIMARY KEY ("pos")
);

-- CreateIndex
CREATE UNIQUE INDEX "AuditSeal_eventSeq_key" ON "AuditSeal"("eventSeq");

-- CreateIndex
CREATE INDEX "AuditEvent_txid_seq_idx" ON "AuditEvent"("txid", "seq");

-- CreateIndex
CREATE INDEX "AuditEvent_entityType_entityId_idx" ON "AuditEvent"("entityType", "entityId");

-- CreateIndex
CREATE INDEX "AuditEvent_actorId_idx" ON "AuditEvent"("actorId");

-- CreateIndex
CREATE INDEX "AuditEvent_at_idx" ON "AuditEvent"("at");

-- The audit chain is append-only like the events it seals.
CREATE TRIGGER "AuditSeal_append_only" BEFORE UPDATE OR DELETE ON "AuditSeal"
  FOR EACH ROW EXECUTE FUNCTION suture_append_only();

-- TRUNCATE fires no row trigger: refuse it with a statement trigger on every append-only table.
CREATE TRIGGER "AuditEvent_no_truncate" BEFORE TRUNCATE ON "AuditEvent"
  FOR EACH STATEMENT EXECUTE FUNCTION suture_append_only();
CREATE TRIGGER "AuditSeal_no_truncate" BEFORE TRUNCATE ON "AuditSeal"
  FOR EACH STATEMENT EXECUTE FUNCTION suture_append_only();
CREATE TRIGGER "LedgerEntry_no_truncate" BEFORE TRUNCATE ON "LedgerEntry"
  FOR EACH STATEMENT EXECUTE FUNCTION suture_append_only();

-- The application's role, least privileged: it owns nothing (the role running migrations owns the schema,
-- so only that role can ALTER, DISABLE TRIGGER or TRUNCATE), reads and writes ordinary tables, and may only
-- INSERT and SELECT the audit log, its chain and the ledger. LOGIN without a password: it can connect
-- under local trust authentication only; in production set one (ALTER ROLE suture_app PASSWORD '...') or
-- create login roles IN ROLE suture_app. Creating it needs CREATEROLE; a role made beforehand is kept as is.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'suture_app') THEN
    BEGIN
      CREATE ROLE suture_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- made at the same moment by a migration of another database on this server
    END;
  END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO suture_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO suture_app;
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON "AuditEvent", "AuditSeal", "LedgerEntry" FROM suture_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO suture_app;
DO $$
BEGIN
  IF to_regclass('"_prisma_migrations"') IS NOT NULL THEN
    REVOKE ALL ON "_prisma_migrations" FROM suture_app;
  END IF;
END
$$;
-- Tables of later migrations get the same grants (an append-only table must revoke them in its migration).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO suture_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO suture_app;
