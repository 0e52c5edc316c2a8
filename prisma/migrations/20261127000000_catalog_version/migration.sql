-- The catalog's version (issue 10): the key of the opt-in response cache.
--
-- One row, rewritten by a statement trigger in the same transaction as every
-- change to "voices", so a reader sees a new version exactly when it can see
-- the change. The value is the writing transaction's id (xid8): unique per
-- transaction and never reused, so the cache only compares it for equality,
-- and it stays unique even if this row is deleted or the table truncated
-- (the next write inserts it again). Every gateway replica reads it from
-- here, which is what makes a cached page stale on all of them at once.
CREATE TABLE "catalog_version" (
    "id" BOOLEAN NOT NULL DEFAULT true,
    "version" BIGINT NOT NULL,

    CONSTRAINT "catalog_version_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "catalog_version_single_row" CHECK ("id")
);

INSERT INTO "catalog_version" ("id", "version") VALUES (true, pg_current_xact_id()::text::bigint);

CREATE FUNCTION "bump_catalog_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "catalog_version" ("id", "version") VALUES (true, pg_current_xact_id()::text::bigint)
  ON CONFLICT ("id") DO UPDATE SET "version" = EXCLUDED."version";
  RETURN NULL;
END
$$;

-- Per statement, not per row: a bulk import bumps it once. A statement that
-- changes no row (an upsert of a voice already stored) bumps it too; that
-- only costs the cache a refill.
CREATE TRIGGER "voices_bump_catalog_version"
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "voices"
FOR EACH STATEMENT EXECUTE FUNCTION "bump_catalog_version"();
