-- CreateTable
CREATE TABLE "providers" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL DEFAULT '',
    "name" TEXT NOT NULL,
    "nameKey" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "baseUrl" TEXT,
    "keyCiphertext" TEXT,
    "keyId" TEXT,
    "keyLast4" TEXT,
    "defaultModel" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdById" TEXT,
    "createdByLabel" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "providers_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "providers_workspaceId_nameKey_key" ON "providers"("workspaceId", "nameKey");

