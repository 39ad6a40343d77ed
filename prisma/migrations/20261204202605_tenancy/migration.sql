-- AlterTable
ALTER TABLE "Campaign" ADD COLUMN     "organizationId" UUID NOT NULL DEFAULT '00000000-0000-4000-8000-000000000001'::uuid;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "organizationId" UUID NOT NULL DEFAULT '00000000-0000-4000-8000-000000000001'::uuid;

-- CreateTable
CREATE TABLE "Organization" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Organization_pkey" PRIMARY KEY ("id")
);

-- The default organisation: every user and campaign that existed before tenancy belongs to it.
INSERT INTO "Organization" ("id", "name") VALUES ('00000000-0000-4000-8000-000000000001', 'Default organisation');

-- CreateTable
CREATE TABLE "CampaignMember" (
    "campaignId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "roles" "Role"[],
    "addedById" UUID,
    "addedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CampaignMember_pkey" PRIMARY KEY ("campaignId","userId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Organization_name_key" ON "Organization"("name");

-- CreateIndex
CREATE INDEX "CampaignMember_userId_idx" ON "CampaignMember"("userId");

-- CreateIndex
CREATE INDEX "Campaign_organizationId_idx" ON "Campaign"("organizationId");

-- CreateIndex
CREATE INDEX "User_organizationId_idx" ON "User"("organizationId");

-- AddForeignKey
ALTER TABLE "User" ADD CONSTRAINT "User_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Campaign" ADD CONSTRAINT "Campaign_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignMember" ADD CONSTRAINT "CampaignMember_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignMember" ADD CONSTRAINT "CampaignMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Campaigns that existed before memberships keep the people who could work on them: every user of the
-- organisation becomes a member in each of their roles but ADMIN (which oversees every campaign anyway).
-- Operations managers narrow the staff from here.
INSERT INTO "CampaignMember" ("campaignId", "userId", "roles")
SELECT c."id", u."id", ARRAY(SELECT r FROM unnest(u."roles") r WHERE r <> 'ADMIN')::"Role"[]
FROM "Campaign" c JOIN "User" u ON u."organizationId" = c."organizationId"
WHERE EXISTS (SELECT 1 FROM unnest(u."roles") r WHERE r <> 'ADMIN');

-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "organizationId" UUID;

-- CreateIndex
CREATE INDEX "AuditEvent_organizationId_seq_idx" ON "AuditEvent"("organizationId", "seq");

-- Every audit event is stamped with the organisation it concerns, from its entity (or else its actor), in the
-- database itself: no code path can forget it, and the append-only rule forbids changing it later. Events
-- written before tenancy keep NULL, which the API shows to the default organisation (their only tenant).
CREATE FUNCTION suture_audit_organization() RETURNS trigger LANGUAGE plpgsql AS $$
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
      ELSE NULL
    END;
  END IF;
  IF NEW."organizationId" IS NULL AND NEW."actorId" IS NOT NULL THEN
    NEW."organizationId" := (SELECT u."organizationId" FROM "User" u WHERE u.id = NEW."actorId");
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER "AuditEvent_organization" BEFORE INSERT ON "AuditEvent"
  FOR EACH ROW EXECUTE FUNCTION suture_audit_organization();
