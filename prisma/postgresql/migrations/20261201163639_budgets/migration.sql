-- AlterTable
ALTER TABLE "agents" ADD COLUMN     "budget" JSONB;

-- AlterTable
ALTER TABLE "workspaces" ADD COLUMN     "budget" JSONB;

