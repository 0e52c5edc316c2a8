-- Open means "never had a client key" (issue 19): the gateway is open to
-- anonymous callers only until its first key exists, and revoking keys never
-- reopens it. Recorded here, once, by whoever inserts the first key (a
-- trigger, so the keys command and any other writer close it too); the
-- GraphQL path inserts the first key and closes the gateway in one statement,
-- so of several callers racing for it exactly one wins.
CREATE TABLE "gateway_state" (
    "id" BOOLEAN NOT NULL DEFAULT true,
    "first_key_at" TIMESTAMPTZ(3),

    CONSTRAINT "gateway_state_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "gateway_state_single_row" CHECK ("id")
);

-- A gateway that has had keys (revoked or not) is closed from now on.
INSERT INTO "gateway_state" ("id", "first_key_at") SELECT true, min("created_at") FROM "api_keys";

CREATE FUNCTION "close_gateway_on_first_key"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "gateway_state" SET "first_key_at" = NEW."created_at" WHERE "first_key_at" IS NULL;
  RETURN NULL;
END
$$;

CREATE TRIGGER "api_keys_close_gateway"
AFTER INSERT ON "api_keys"
FOR EACH ROW EXECUTE FUNCTION "close_gateway_on_first_key"();
