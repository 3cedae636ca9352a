-- AlterTable
ALTER TABLE "workspaces" ADD COLUMN "uninstalledAt" DATETIME;
