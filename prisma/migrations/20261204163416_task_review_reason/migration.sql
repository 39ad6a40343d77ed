-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "reviewReason" TEXT;
