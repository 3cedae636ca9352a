-- AlterTable
ALTER TABLE "workspaces" ADD COLUMN "uninstalledAt" TIMESTAMP(3);
