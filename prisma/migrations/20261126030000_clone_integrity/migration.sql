-- Clone integrity (issue 7).
--
-- Idempotency keys belong to the caller that used them: "owner" is the client
-- key's id, or 'anonymous' for callers without one (an open gateway). Attempts
-- made before this migration had global keys; they are attributed to
-- anonymous callers, so a keyed tool replaying one of those (at most
-- IDEMPOTENCY_TTL_HOURS old) clones afresh instead of replaying.
ALTER TABLE "clone_attempts" ADD COLUMN "owner" TEXT NOT NULL DEFAULT 'anonymous';

-- The request's own fields (never the files), so an operator can see what was
-- asked and a voice resolved by hand can be stored with them.
ALTER TABLE "clone_attempts" ADD COLUMN "request" JSONB;

-- When an operator resolved an UNKNOWN attempt (`npm run reconcile -- resolve`).
ALTER TABLE "clone_attempts" ADD COLUMN "resolved_at" TIMESTAMPTZ(3);

DROP INDEX "clone_attempts_idempotency_key_key";
CREATE UNIQUE INDEX "clone_attempts_owner_idempotency_key_key" ON "clone_attempts"("owner", "idempotency_key");
CREATE INDEX "clone_attempts_owner_created_at_id_idx" ON "clone_attempts"("owner", "created_at" DESC, "id" DESC);

-- Keys that see every caller's clone attempts (and may do all that `write` may).
ALTER TYPE "ApiKeyScope" ADD VALUE 'ADMIN';
