-- Speech (issue 24): what Faseeh's text-to-speech produced, kept for
-- SPEECH_TTL_HOURS and answered again to the same request, so each distinct
-- request is paid once.
--
-- `speech_audio` is one distinct request (`request_hash`: voice, normalised
-- text, model, stability, speed) and its audio, a file under PREVIEW_DIR
-- (src/services/speech/speech-store.ts). The unique hash is how replicas agree
-- that only one of them calls Faseeh: the one whose PENDING row is inserted
-- calls, renewing `claimed_at` while it does; the others wait for READY. A
-- claim no longer renewed (its process died) is taken over. A failed call
-- leaves its row FAILED, with the error, for a short while: what the requests
-- waiting on it (on any replica) answer, instead of calling again each.
CREATE TABLE "speech_audio" (
    "id" UUID NOT NULL,
    "request_hash" TEXT NOT NULL,
    "voice_id" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "model_id" TEXT NOT NULL,
    "stability" DOUBLE PRECISION NOT NULL,
    "speed" DOUBLE PRECISION NOT NULL,
    "characters" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "claimed_by" TEXT,
    "claimed_at" TIMESTAMPTZ(3),
    "audio_content_type" TEXT,
    "sample_rate" INTEGER,
    "channels" INTEGER,
    "audio_bytes" BIGINT,
    "audio_sha256" TEXT,
    "failure_code" TEXT,
    "failure_message" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "speech_audio_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "speech_audio_status" CHECK ("status" IN ('PENDING', 'READY', 'FAILED')),
    -- Ready audio is described in full; a pending claim says who holds it.
    CONSTRAINT "speech_audio_ready_described" CHECK (
        "status" <> 'READY' OR ("audio_content_type" IS NOT NULL AND "sample_rate" IS NOT NULL AND "channels" IS NOT NULL
            AND "audio_bytes" IS NOT NULL AND "audio_sha256" IS NOT NULL)
    ),
    CONSTRAINT "speech_audio_pending_claimed" CHECK ("status" <> 'PENDING' OR "claimed_at" IS NOT NULL),
    CONSTRAINT "speech_audio_failure_said" CHECK ("status" <> 'FAILED' OR ("failure_code" IS NOT NULL AND "failure_message" IS NOT NULL))
);

CREATE UNIQUE INDEX "speech_audio_request_hash_key" ON "speech_audio"("request_hash");
CREATE INDEX "speech_audio_expires_at_idx" ON "speech_audio"("expires_at");

-- Each answered `speak`, per client key (`owner`), for `speeches`: it lives
-- as long as the audio it answered with.
CREATE TABLE "speeches" (
    "id" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "audio_id" UUID NOT NULL,
    "cached" BOOLEAN NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "speeches_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "speeches_audio_id_fkey" FOREIGN KEY ("audio_id") REFERENCES "speech_audio"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX "speeches_owner_created_at_id_idx" ON "speeches"("owner", "created_at" DESC, "id" DESC);
CREATE INDEX "speeches_created_at_id_idx" ON "speeches"("created_at" DESC, "id" DESC);
CREATE INDEX "speeches_audio_id_idx" ON "speeches"("audio_id");
