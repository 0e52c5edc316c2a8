-- Voice previews (issue 11): what Faseeh's preview call produced, kept until
-- it expires so that it can be listened to and cloned from.
--
-- The audio itself (Faseeh's PCM, as produced) and the recording it came from
-- are files under PREVIEW_DIR (src/services/preview-store.ts); this row says
-- what they are, whose they are, and until when they are kept. The sizes and
-- SHA-256 digests are checked again, byte for byte, whenever a file is sent
-- to Faseeh by a clone.
CREATE TABLE "voice_previews" (
    "id" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "similarity" DOUBLE PRECISION NOT NULL,
    "model_id" TEXT NOT NULL,
    "speed" DOUBLE PRECISION NOT NULL,
    "audio_content_type" TEXT NOT NULL,
    "sample_rate" INTEGER NOT NULL,
    "channels" INTEGER NOT NULL,
    "audio_bytes" BIGINT NOT NULL,
    "audio_sha256" TEXT NOT NULL,
    "recording_filename" TEXT NOT NULL,
    "recording_content_type" TEXT NOT NULL,
    "recording_bytes" BIGINT NOT NULL,
    "recording_sha256" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "voice_previews_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "voice_previews_expires_at_idx" ON "voice_previews"("expires_at");

-- A clone made from a preview names it: the cleanup keeps a preview while a
-- clone that uses it is still PENDING.
ALTER TABLE "clone_attempts" ADD COLUMN "preview_id" UUID;

CREATE INDEX "clone_attempts_preview_id_idx" ON "clone_attempts"("preview_id") WHERE "preview_id" IS NOT NULL;
