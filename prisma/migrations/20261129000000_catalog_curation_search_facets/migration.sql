-- A catalog people can curate and search (issue 12): tags, edits and
-- archiving; Arabic-aware search; sorts with keyset paging; facet counts
-- that stay cheap at a million voices.
--
-- pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may
-- create it without superuser. PGlite ships it (src/db/database.ts loads it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- ---------------------------------------------------------------------------
-- Curation: tags, the catalog's own edit time, and archiving.
ALTER TABLE "voices"
    ADD COLUMN "tags" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    ADD COLUMN "updated_at" TIMESTAMPTZ(3),
    ADD COLUMN "archived_at" TIMESTAMPTZ(3);
UPDATE "voices" SET "updated_at" = "created_at";
ALTER TABLE "voices"
    ALTER COLUMN "updated_at" SET NOT NULL,
    ALTER COLUMN "updated_at" SET DEFAULT CURRENT_TIMESTAMP;

-- ---------------------------------------------------------------------------
-- Folding text the way people type Arabic (and Latin): lower case, no
-- tashkeel (U+064B-U+065F, U+0670, which includes a decomposed hamza) or
-- tatweel (U+0640), the alef forms أ إ آ ٱ as ا, ة as ه, ى and Persian ی as ي.
-- Both the stored search columns and every query go through this one
-- function, so they cannot disagree (lower() depends on the database's
-- locale; doing it here keeps both sides on the same one).
CREATE FUNCTION "catalog_fold"(value TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN translate(lower(regexp_replace(value, '[\u064B-\u065F\u0670\u0640]', '', 'g')), 'أإآٱةىی', 'ااااهيي');

-- A LIKE pattern that finds `value` (already folded) anywhere in a text.
CREATE FUNCTION "catalog_contains_pattern"(value TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN '%' || regexp_replace(value, '([\\%_])', '\\\1', 'g') || '%';

-- What search matches: name, description and tags, folded.
CREATE FUNCTION "catalog_search_text"(name TEXT, description TEXT, tags TEXT[]) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN catalog_fold(concat_ws(' ', name, description, nullif(array_to_string(tags, ' '), '')));

-- Every exact-match dimension of a voice as one sorted array of prefixed
-- keys: l:<language>, d:<dialect>, g:<gender>, a:<age>, m:<model>, t:<tag>.
-- One GIN index over it serves any combination of those filters in a single
-- index scan (GIN intersects the keys' posting lists, rarest first), where
-- one index per column needed a BitmapAnd of whole bitmaps; and the sorted
-- array without its tags is the key of the facet rollup below.
CREATE FUNCTION "catalog_facet_keys"(languages TEXT[], dialects TEXT[], gender TEXT, age TEXT, model TEXT, tags TEXT[])
RETURNS TEXT[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY(
    SELECT DISTINCT key COLLATE "C" FROM (
        SELECT 'l:' || unnest(languages) AS key
        UNION ALL SELECT 'd:' || unnest(dialects)
        UNION ALL SELECT 'g:' || gender
        UNION ALL SELECT 'a:' || age
        UNION ALL SELECT 'm:' || lower(model)
        UNION ALL SELECT 't:' || unnest(tags)
    ) AS keys
    WHERE key IS NOT NULL
    ORDER BY key COLLATE "C"
);

-- The facet keys without the tags (still sorted): a voice's combination.
CREATE FUNCTION "catalog_untagged_keys"(keys TEXT[]) RETURNS TEXT[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ARRAY(SELECT key FROM unnest(keys) WITH ORDINALITY AS k(key, n) WHERE key NOT LIKE 't:%' ORDER BY n);

-- A combination's keys as one text, joined by U+001F (which no key can
-- contain): the value of the voices' facet_combo below, and what the rare
-- path of catalog-sql.ts turns the rollup's combinations into to find them.
-- PL/pgSQL, which keeps its plan between calls: as SQL functions (never
-- inlined, array_to_string being STABLE) these re-planned the inner call for
-- every row, 155 us against 27 us, which made a bulk load of a million
-- voices take 445 s instead of 78 s.
CREATE FUNCTION "catalog_combo_text"(keys TEXT[]) RETURNS TEXT
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  RETURN array_to_string(keys, E'\x1f');
END
$$;

-- A voice's combination: its untagged keys as one text, the key of the
-- index that serves rare combinations (see catalog-sql.ts).
CREATE FUNCTION "catalog_facet_combo"(languages TEXT[], dialects TEXT[], gender TEXT, age TEXT, model TEXT) RETURNS TEXT
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN catalog_combo_text(catalog_facet_keys(languages, dialects, gender, age, model, NULL));
END
$$;

ALTER TABLE "voices"
    ADD COLUMN "search_text" TEXT GENERATED ALWAYS AS (catalog_search_text("name", "description", "tags")) STORED,
    -- NAME_ASC / NAME_DESC order by this, byte-wise ("C") so that the order,
    -- and the cursors that resume it, are the same on every PostgreSQL and
    -- PGlite whatever their locale.
    ADD COLUMN "sort_name" TEXT COLLATE "C" GENERATED ALWAYS AS (catalog_fold("name")) STORED,
    ADD COLUMN "facet_keys" TEXT[] GENERATED ALWAYS AS (
        catalog_facet_keys("languages", "dialects", "gender", "age", "model", "tags")) STORED,
    ADD COLUMN "facet_combo" TEXT COLLATE "C" GENERATED ALWAYS AS (
        catalog_facet_combo("languages", "dialects", "gender", "age", "model")) STORED;

-- The per-column indexes are replaced by the one over facet_keys.
DROP INDEX "voices_languages_idx";
DROP INDEX "voices_dialects_idx";
DROP INDEX "voices_gender_idx";
CREATE INDEX "voices_facet_keys_idx" ON "voices" USING GIN ("facet_keys");
CREATE INDEX "voices_search_text_trgm_idx" ON "voices" USING GIN ("search_text" gin_trgm_ops);
CREATE INDEX "voices_sort_name_id_idx" ON "voices" ("sort_name", "id");
-- A filter whose values are each common but rare together (tr + maghrebi +
-- male + elderly: 0.4% of the bench's million) is slow both ways otherwise:
-- GIN intersects posting lists of half a million entries (35-45 ms), and the
-- date index walks thousands of rows per match. The rollup names the few
-- combinations that match; this index fetches exactly their voices.
-- It carries what the rare path filters and orders by, so the matches' keys
-- are read from the index alone and only a page's rows from the table.
CREATE INDEX "voices_facet_combo_idx" ON "voices" ("facet_combo")
    INCLUDE ("created_at", "id", "sort_name", "archived_at", "tags");

-- ---------------------------------------------------------------------------
-- Facet rollups: how many voices have each combination of exact-match keys
-- (and, per tag, each combination among the voices with that tag), archived
-- apart. Facet counts and totals under filters on those dimensions add up a
-- few thousand rows here instead of counting up to a million voices. Kept
-- exact by statement triggers on "voices", in the writing transaction; rows
-- that reach zero stay (readers skip them), so a combination that comes back
-- costs no insert.
CREATE TABLE "voice_facet_combos" (
    "keys" TEXT[] NOT NULL,
    "archived" BOOLEAN NOT NULL,
    "voices" INTEGER NOT NULL,

    CONSTRAINT "voice_facet_combos_pkey" PRIMARY KEY ("keys", "archived")
);

CREATE TABLE "voice_tag_combos" (
    "tag" TEXT NOT NULL,
    "keys" TEXT[] NOT NULL,
    "archived" BOOLEAN NOT NULL,
    "voices" INTEGER NOT NULL,

    CONSTRAINT "voice_tag_combos_pkey" PRIMARY KEY ("tag", "keys", "archived")
);
-- The combinations under a filter on several values, without reading all of them.
CREATE INDEX "voice_tag_combos_keys_idx" ON "voice_tag_combos" USING GIN ("keys");

-- Per tag, how many voices have each single exact-match key ('*': all of
-- them): the tag facet under a filter on at most one other dimension (no
-- filter, or language ar alone, the common case) adds up a few hundred rows
-- here instead of the tag rollup's hundreds of thousands.
CREATE TABLE "voice_tag_key_counts" (
    "tag" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "archived" BOOLEAN NOT NULL,
    "voices" INTEGER NOT NULL,

    CONSTRAINT "voice_tag_key_counts_pkey" PRIMARY KEY ("key", "tag", "archived")
);

-- One function for INSERT, UPDATE and DELETE (PostgreSQL allows transition
-- tables on single-event triggers only, hence three triggers): the rows that
-- left count -1, the rows that arrived +1, summed per combination, so a bulk
-- COPY of a million voices is one upsert of a few thousand rows. Rows are
-- upserted in key order so that concurrent writers lock them in the same
-- order and cannot deadlock.
CREATE FUNCTION "voices_apply_facet_rollups"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changes TEXT;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM "voice_facet_combos";
    DELETE FROM "voice_tag_combos";
    DELETE FROM "voice_tag_key_counts";
    RETURN NULL;
  END IF;
  changes := CASE TG_OP
    WHEN 'INSERT' THEN 'SELECT facet_keys, archived_at IS NOT NULL AS archived, 1 AS delta FROM new_rows'
    WHEN 'DELETE' THEN 'SELECT facet_keys, archived_at IS NOT NULL AS archived, -1 AS delta FROM old_rows'
    ELSE 'SELECT facet_keys, archived_at IS NOT NULL AS archived, -1 AS delta FROM old_rows
          UNION ALL SELECT facet_keys, archived_at IS NOT NULL, 1 FROM new_rows'
  END;
  EXECUTE format($sql$
    INSERT INTO voice_facet_combos AS c (keys, archived, voices)
    SELECT keys, archived, voices FROM (
      SELECT catalog_untagged_keys(coalesce(facet_keys, '{}')) AS keys, archived, sum(delta)::int AS voices
      FROM (%s) AS changes GROUP BY 1, 2
    ) AS combos
    WHERE voices <> 0
    ORDER BY keys, archived
    ON CONFLICT (keys, archived) DO UPDATE SET voices = c.voices + excluded.voices
  $sql$, changes);
  EXECUTE format($sql$
    INSERT INTO voice_tag_combos AS c (tag, keys, archived, voices)
    SELECT tag, keys, archived, voices FROM (
      SELECT substr(key, 3) AS tag, catalog_untagged_keys(facet_keys) AS keys, archived, sum(delta)::int AS voices
      FROM (%s) AS changes, unnest(facet_keys) AS key
      WHERE key LIKE 't:%%'
      GROUP BY 1, 2, 3
    ) AS combos
    WHERE voices <> 0
    ORDER BY tag, keys, archived
    ON CONFLICT (tag, keys, archived) DO UPDATE SET voices = c.voices + excluded.voices
  $sql$, changes);
  EXECUTE format($sql$
    INSERT INTO voice_tag_key_counts AS c (tag, key, archived, voices)
    SELECT tag, key, archived, voices FROM (
      SELECT substr(tag_key, 3) AS tag, key, archived, sum(delta)::int AS voices
      FROM (%s) AS changes
      CROSS JOIN LATERAL unnest(facet_keys) AS tag_key
      CROSS JOIN LATERAL unnest(array_append(catalog_untagged_keys(facet_keys), '*')) AS key
      WHERE tag_key LIKE 't:%%'
      GROUP BY 1, 2, 3
    ) AS counts
    WHERE voices <> 0
    ORDER BY key, tag, archived
    ON CONFLICT (key, tag, archived) DO UPDATE SET voices = c.voices + excluded.voices
  $sql$, changes);
  RETURN NULL;
END
$$;

CREATE TRIGGER "voices_facet_rollups_insert" AFTER INSERT ON "voices"
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "voices_apply_facet_rollups"();
CREATE TRIGGER "voices_facet_rollups_update" AFTER UPDATE ON "voices"
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "voices_apply_facet_rollups"();
CREATE TRIGGER "voices_facet_rollups_delete" AFTER DELETE ON "voices"
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "voices_apply_facet_rollups"();
CREATE TRIGGER "voices_facet_rollups_truncate" AFTER TRUNCATE ON "voices"
FOR EACH STATEMENT EXECUTE FUNCTION "voices_apply_facet_rollups"();

-- The voices already stored.
INSERT INTO "voice_facet_combos" ("keys", "archived", "voices")
SELECT catalog_untagged_keys("facet_keys"), false, count(*)::int FROM "voices" GROUP BY 1;
