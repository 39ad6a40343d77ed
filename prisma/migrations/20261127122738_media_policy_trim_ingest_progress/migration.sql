-- Campaign media policy (originals DELETE | RETAIN_ENCRYPTED, SSE override, brightness normalisation),
-- the encrypted original's key, the ops manager's set-up trim and the ingest step/progress the console shows.
-- AlterTable
ALTER TABLE "Asset" ADD COLUMN     "ingestProgress" DOUBLE PRECISION,
ADD COLUMN     "ingestStep" TEXT,
ADD COLUMN     "originalKey" TEXT,
ADD COLUMN     "trimEndSeconds" DOUBLE PRECISION,
ADD COLUMN     "trimStartSeconds" DOUBLE PRECISION;

-- AlterTable
ALTER TABLE "Campaign" ADD COLUMN     "mediaPolicy" JSONB NOT NULL DEFAULT '{"originals":"DELETE"}';
