-- CreateEnum
CREATE TYPE "CloneAttemptStatus" AS ENUM ('PENDING', 'SUCCEEDED', 'FAILED', 'UNKNOWN');

-- CreateTable
CREATE TABLE "clone_attempts" (
    "id" UUID NOT NULL,
    "idempotency_key" TEXT,
    "request_hash" TEXT NOT NULL,
    "status" "CloneAttemptStatus" NOT NULL DEFAULT 'PENDING',
    "name" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "upstream_voice" JSONB,
    "voice_id" TEXT,
    "error_code" TEXT,
    "error_message" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "clone_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "clone_attempts_idempotency_key_key" ON "clone_attempts"("idempotency_key");

-- CreateIndex
CREATE INDEX "clone_attempts_status_created_at_idx" ON "clone_attempts"("status", "created_at" DESC);

-- CreateIndex
CREATE INDEX "clone_attempts_created_at_id_idx" ON "clone_attempts"("created_at" DESC, "id" DESC);
