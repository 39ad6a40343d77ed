-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "sourceFrame" INTEGER;
