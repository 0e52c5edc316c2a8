-- CreateTable
CREATE TABLE "voices" (
    "id" UUID NOT NULL,
    "voice_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "gender" TEXT,
    "age" TEXT,
    "languages" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "dialects" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "type" TEXT,
    "sample_url" TEXT,
    "avatar_url" TEXT,
    "stability" DOUBLE PRECISION NOT NULL,
    "model" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "voices_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "voices_voice_id_key" ON "voices"("voice_id");

-- CreateIndex
CREATE INDEX "voices_created_at_id_idx" ON "voices"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "voices_languages_idx" ON "voices" USING GIN ("languages");

-- CreateIndex
CREATE INDEX "voices_dialects_idx" ON "voices" USING GIN ("dialects");

-- CreateIndex
CREATE INDEX "voices_gender_idx" ON "voices"("gender");
