// Client API keys for the internal tools that call the gateway. A key is
// shown once, when created; only its SHA-256 hash is stored. `read` keys may
// query; `write` keys may also clone (which spends the Faseeh wallet);
// `admin` keys may do all that and see every caller's clone attempts.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { GatewayError } from "../../errors.js";
import { guardDatabase } from "../../db/database-errors.js";
import type { ApiKeyScope, Prisma, PrismaClient } from "../../generated/prisma/client.js";

export type Scope = "read" | "write" | "admin";

export const SCOPES: readonly Scope[] = ["read", "write", "admin"];

/** Whether a key of scope `held` may do what needs `required` (read < write < admin). */
export const scopeAllows = (held: Scope, required: Scope): boolean => SCOPES.indexOf(held) >= SCOPES.indexOf(required);

export type Principal =
  | { kind: "key"; id: string; name: string; scope: Scope }
  /**
   * Nobody identified: allowed only while the gateway is open (it never had a
   * key, see `authenticate`), when every caller may do anything, creating the
   * first key included.
   */
  | { kind: "anonymous"; scope: "admin" };

/** The owner of records made without a client key (all anonymous callers share it). */
export const ANONYMOUS_OWNER = "anonymous";

/** Whose records (clone attempts and their idempotency keys, previews) a caller's are. */
export const ownerOf = (principal: Principal | undefined): string => (principal?.kind === "key" ? principal.id : ANONYMOUS_OWNER);

export interface CreatedKey {
  id: string;
  name: string;
  scope: Scope;
  apiKey: ApiKeyView;
  /** The secret itself: shown to the operator once, never stored. */
  key: string;
}

export interface KeyPolicy {
  /** Production refuses anonymous callers unless this is set on purpose. */
  production: boolean;
  allowAnonymous: boolean;
  /** How long a verified key is trusted from memory (0: never). The backstop bound on a missed revocation. */
  cacheTtlMs?: number;
  /**
   * Whether revocations from other replicas reach this process right now
   * (the LISTEN connection is up). The cache is used only while it is.
   */
  revocationsLive?: () => boolean;
  /**
   * Whether `npm run keys` can reach the database while the gateway runs
   * (PostgreSQL: yes; the embedded one is the gateway's alone): the boot
   * warning of an open gateway names only what works.
   */
  keysCommandWhileServing?: boolean;
}

/** The channel revocations are announced on, with the key's id as payload. */
export const KEY_REVOKED_CHANNEL = "api_key_revoked";

type KeyPrincipal = Extract<Principal, { kind: "key" }>;

const KEY_PREFIX = "fvg_";
/** How much of a key is stored in clear to recognise it in lists. */
const PREFIX_LENGTH = 10;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The start of a key as `list` shows it: "fvg_" and at least four of a key's own characters (base64url). */
const PREFIX_REFERENCE = /^fvg_[\w-]{4,6}$/;

/** A key as lists show it: never the secret. */
export interface ApiKeyView {
  id: string;
  name: string;
  scope: Scope;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export type RevokeResult =
  | { kind: "revoked"; key: ApiKeyView }
  /** Refused: it is the last active admin key (see `revoke`). */
  | { kind: "last-admin"; key: ApiKeyView }
  | { kind: "already-revoked"; key: ApiKeyView }
  | { kind: "none" }
  | { kind: "ambiguous"; keys: ApiKeyView[] }
  | { kind: "not-a-reference" };

/** The advisory lock revocations take turns on (any fixed number no other lock of ours uses). */
const KEY_REVOCATION_LOCK = 0x6b657973; // "keys"
/** Longest key name: a tool's name, as short as a voice's. */
const MAX_NAME_LENGTH = 100;
const VIEW = { id: true, name: true, scope: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true } as const;
const LAST_USED_PRECISION_MS = 60_000;
/** Far more keys than any deployment has; past it the cache starts over rather than grow. */
const MAX_CACHED_KEYS = 10_000;

const toScope = (scope: ApiKeyScope): Scope => scope.toLowerCase() as Scope;
const fromScope = (scope: Scope): ApiKeyScope => scope.toUpperCase() as ApiKeyScope;
const toView = (row: Omit<ApiKeyView, "scope"> & { scope: ApiKeyScope }): ApiKeyView => ({ ...row, scope: toScope(row.scope) });
export const hashKey = (key: string) => createHash("sha256").update(key).digest("hex");
const newSecret = () => `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;

/** A key's name, trimmed: the tool that uses it, 1-100 characters. */
function keyName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new GatewayError("BAD_USER_INPUT", "A key needs a name (the tool that uses it).", { field: "name" });
  if (trimmed.length > MAX_NAME_LENGTH) {
    throw new GatewayError("BAD_USER_INPUT", `A key's name is at most ${MAX_NAME_LENGTH} characters.`, { field: "name" });
  }
  return trimmed;
}

export const unauthenticated = (message: string) =>
  new GatewayError("UNAUTHENTICATED", message, { http: { headers: new Map([["www-authenticate", "Bearer"]]) } });

/** How the gateway may start, decided from the keys that exist at boot (see `ApiKeyService.bootPolicy`). */
export interface BootPolicy {
  /** Never had a key: anyone who can reach the gateway may call it. */
  open: boolean;
  /** Why it must not start at all (production, open, not on purpose). */
  refusal: string | undefined;
  /** Where to listen when nobody said: an open gateway serves this machine only. */
  host(configured: string | undefined): string | undefined;
  /** The boot warning of an open gateway, once it listens on `bound` (undefined: every interface). */
  openWarning(bound: string | undefined, chosenBy: "policy" | "HOST" | "ALLOW_ANONYMOUS"): string;
}

export class ApiKeyService {
  /** Throttles last-used writes: one per key per minute is plenty to tell stale keys. */
  private readonly lastUsedWritten = new Map<string, number>();
  /**
   * Verified keys by hash, so a request costs no database round trip. Only
   * valid keys are kept (an unknown key always asks the database, so a key
   * created a moment ago works at once); bounded in size and age.
   */
  private readonly verified = new Map<string, { principal: KeyPrincipal; until: number }>();
  /** Set once the gateway is known to have had a key: it never opens again, so it is not asked again. */
  private closed = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly policy: KeyPolicy,
  ) {}

  /** A new key (an admin's request, or the keys command). */
  async create(input: { name: string; scope: Scope }): Promise<CreatedKey> {
    const name = keyName(input.name);
    const key = newSecret();
    const id = randomUUID();
    const row = await guardDatabase(() =>
      this.prisma.apiKey.create({
        data: { id, name, scope: fromScope(input.scope), keyHash: hashKey(key), prefix: key.slice(0, PREFIX_LENGTH) },
        select: VIEW,
      }),
    );
    return { id, name, scope: input.scope, apiKey: toView(row), key };
  }

  /**
   * The first key of an open gateway, which closes it: inserted by one
   * statement only while the gateway has never had a key, so of any number of
   * anonymous callers racing for it exactly one gets it (the others wait on
   * the state row's lock, then find the gateway closed).
   */
  private async createFirst(input: { name: string; scope: Scope }): Promise<CreatedKey> {
    if (input.scope !== "admin") {
      throw new GatewayError(
        "BAD_USER_INPUT",
        "The first client key closes this gateway at once, so it must have the ADMIN scope; otherwise nobody could manage keys " +
          "afterwards without the command line. Create it with `scope: ADMIN`, then create the others with it.",
        { field: "scope" },
      );
    }
    const name = keyName(input.name);
    const key = newSecret();
    const id = randomUUID();
    const rows = await guardDatabase(
      () => this.prisma.$queryRaw<Array<Omit<ApiKeyView, "scope"> & { scope: ApiKeyScope }>>`
        WITH closing AS (
          INSERT INTO gateway_state (id, first_key_at) VALUES (true, now())
          ON CONFLICT (id) DO UPDATE SET first_key_at = excluded.first_key_at WHERE gateway_state.first_key_at IS NULL
          RETURNING first_key_at
        )
        INSERT INTO api_keys (id, name, scope, key_hash, prefix, created_at)
        SELECT ${id}::uuid, ${name}, 'ADMIN', ${hashKey(key)}, ${key.slice(0, PREFIX_LENGTH)}, first_key_at FROM closing
        RETURNING id::text AS id, name, scope::text AS scope, prefix, created_at AS "createdAt",
                  last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`,
    );
    // Closed either way: by this key, or by the one that won the race.
    this.closed = true;
    const [row] = rows;
    if (!row) {
      throw unauthenticated(
        "This gateway has a client key now (another caller created the first one): send `Authorization: Bearer <key>`.",
      );
    }
    return { id, name, scope: "admin", apiKey: toView(row), key };
  }

  /**
   * Revokes the key `reference` names: its id, the prefix that `list` shows
   * (with or without the trailing "…"), or the key itself. Takes effect on the
   * next request, in every replica. The last active admin key is kept (nobody
   * could manage keys over GraphQL without one) unless `allowLastAdmin` says
   * otherwise (the keys command's `--force`). Revocations take turns on one
   * transaction-scoped advisory lock (each statement after it sees what the
   * previous holder committed), so two of them never each leave the other's
   * admin key as "the one that remains".
   */
  async revoke(reference: string, { allowLastAdmin = false }: { allowLastAdmin?: boolean } = {}): Promise<RevokeResult> {
    const matches = await this.find(reference);
    if (matches === "not-a-reference") return { kind: "not-a-reference" };
    const [key, ...others] = matches;
    if (!key) return { kind: "none" };
    if (others.length > 0) return { kind: "ambiguous", keys: matches };
    if (key.revokedAt) return { kind: "already-revoked", key };
    const revokedAt = new Date();
    const outcome = await guardDatabase(() =>
      this.prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT pg_advisory_xact_lock(${KEY_REVOCATION_LOCK})::text`;
        if (key.scope === "admin" && !allowLastAdmin) {
          const otherAdmins = await tx.apiKey.count({ where: { scope: "ADMIN", revokedAt: null, id: { not: key.id } } });
          if (otherAdmins === 0) return "last-admin" as const;
        }
        const { count } = await tx.apiKey.updateMany({ where: { id: key.id, revokedAt: null }, data: { revokedAt } });
        // Sent when the revocation commits, to every replica listening (see forget).
        await tx.$executeRaw`SELECT pg_notify(${KEY_REVOKED_CHANNEL}, ${key.id})`;
        return count === 1 ? ("revoked" as const) : ("already-revoked" as const);
      }),
    );
    if (outcome === "last-admin") return { kind: "last-admin", key };
    this.forget(key.id);
    return outcome === "revoked" ? { kind: "revoked", key: { ...key, revokedAt } } : { kind: "already-revoked", key };
  }

  async list(): Promise<ApiKeyView[]> {
    const rows = await guardDatabase(() => this.prisma.apiKey.findMany({ orderBy: { createdAt: "asc" }, select: VIEW }));
    return rows.map(toView);
  }

  /** `createApiKey` (its `admin` scope is checked where the field resolves): the secret is in the answer only. */
  createFor(principal: Principal, input: { name: string; scope: Scope }): Promise<CreatedKey> {
    return principal.kind === "anonymous" ? this.createFirst(input) : this.create(input);
  }

  private async find(reference: string): Promise<ApiKeyView[] | "not-a-reference"> {
    const text = reference.trim().replace(/(…|\.\.\.)$/, "");
    const rows = (where: Prisma.ApiKeyWhereInput) =>
      guardDatabase(() => this.prisma.apiKey.findMany({ where, select: VIEW, orderBy: { createdAt: "asc" } }));
    if (UUID.test(text)) return (await rows({ id: text.toLowerCase() })).map(toView);
    if (text.startsWith(KEY_PREFIX) && text.length > PREFIX_LENGTH) return (await rows({ keyHash: hashKey(text) })).map(toView);
    if (!PREFIX_REFERENCE.test(text)) return "not-a-reference";
    // `startsWith` is a LIKE, in which the "_" keys are made of matches any character: only exact prefixes count.
    return (await rows({ prefix: { startsWith: text } })).filter((row) => row.prefix.startsWith(text)).map(toView);
  }

  /** Whether the gateway has ever had a client key (revoked ones count: open means never had one). */
  async hasHadKeys(): Promise<boolean> {
    if (this.closed) return true;
    const [state] = await guardDatabase(() => this.prisma.gatewayState.findMany({ select: { firstKeyAt: true }, take: 1 }));
    // The row is made by the migration; without it (a database restored without it), count the keys themselves.
    const had = state ? state.firstKeyAt !== null : (await guardDatabase(() => this.prisma.apiKey.count({ take: 1 }))) > 0;
    // Closed for good: no need to ask again.
    if (had) this.closed = true;
    return had;
  }

  /** Whether any key (of `scope`, if given) may be used now. */
  async hasActiveKeys({ scope }: { scope?: Scope } = {}): Promise<boolean> {
    const where = { revokedAt: null, ...(scope && { scope: fromScope(scope) }) };
    return (await guardDatabase(() => this.prisma.apiKey.count({ where, take: 1 }))) > 0;
  }

  /**
   * The open/closed policy at boot: whether the gateway may start, and where
   * it may listen while it is open. Per request, `authenticate` applies the
   * same policy (an open gateway closes with its first key, no restart).
   */
  async bootPolicy(): Promise<BootPolicy> {
    const open = !(await this.hasHadKeys());
    const { production, allowAnonymous, keysCommandWhileServing = true } = this.policy;
    const howToClose = keysCommandWhileServing
      ? 'Create an admin key (mutation createApiKey(name: "ops", scope: ADMIN), or `npm run keys -- create --name <tool> --scope admin`)'
      : 'Create an admin key with the mutation createApiKey(name: "ops", scope: ADMIN) on this gateway (while it runs, the embedded ' +
        "database is its alone, so `npm run keys` is refused)";
    return {
      open,
      refusal:
        open && production && !allowAnonymous
          ? "NODE_ENV=production and no client API key exists, so anyone could clone on this gateway's Faseeh key. " +
            "Create one with `npm run keys -- create --name <tool> --scope admin` (in the container image: " +
            "`node dist/cli/keys.js create --name <tool> --scope admin`), or set ALLOW_ANONYMOUS=true on purpose."
          : undefined,
      // Anyone on the network could spend the Faseeh wallet: loopback only, unless told otherwise.
      host: (configured) => configured ?? (open && !allowAnonymous ? "127.0.0.1" : undefined),
      openWarning(bound, chosenBy) {
        const reach =
          bound === undefined
            ? `on every interface (${chosenBy}), so anyone who can reach this host`
            : chosenBy === "policy"
              ? `on ${bound} only (set HOST, or ALLOW_ANONYMOUS=true, to serve the network), so anyone on this machine`
              : `on ${bound} (${chosenBy}), so anyone who can reach that address`;
        return (
          `no client API key exists: the gateway is OPEN to any caller. It listens ${reach} may clone on its Faseeh key. ` +
          `${howToClose}: from then on every request needs a key, without a restart, for good (revoking keys never reopens it).`
        );
      },
    };
  }

  /** Whether callers without a key are let in: only while the gateway never had one, and in production only on purpose. */
  async isOpen(): Promise<boolean> {
    if (this.policy.production && !this.policy.allowAnonymous) return false;
    return !(await this.hasHadKeys());
  }

  /**
   * Identifies the caller from an `Authorization` header. Checked on every
   * request, so the first key created closes the gateway without a restart.
   */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) {
      if (await this.isOpen()) return { kind: "anonymous", scope: "admin" };
      throw unauthenticated("This gateway needs a client API key: send `Authorization: Bearer <key>`.");
    }
    const key = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (!key) throw unauthenticated("The Authorization header must be `Bearer <key>`.");
    const keyHash = hashKey(key);
    const now = Date.now();
    const cached = this.verified.get(keyHash);
    if (cached && cached.until > now && this.cacheUsable()) {
      this.touch(cached.principal.id);
      return cached.principal;
    }
    const found = await guardDatabase(() => this.prisma.apiKey.findUnique({ where: { keyHash } }));
    if (!found || found.revokedAt) {
      this.verified.delete(keyHash);
      throw unauthenticated("The client API key is unknown or revoked.");
    }
    const principal: KeyPrincipal = { kind: "key", id: found.id, name: found.name, scope: toScope(found.scope) };
    if (this.cacheUsable()) {
      if (this.verified.size >= MAX_CACHED_KEYS) this.verified.clear();
      this.verified.set(keyHash, { principal, until: now + (this.policy.cacheTtlMs ?? 0) });
    }
    this.touch(found.id);
    return principal;
  }

  /** A key was revoked (here or on another replica): stop trusting it at once. */
  forget(id: string): void {
    for (const [keyHash, entry] of this.verified) if (entry.principal.id === id) this.verified.delete(keyHash);
  }

  /** Revocations may have been missed (the listener reconnected): trust nothing from memory. */
  forgetAll(): void {
    this.verified.clear();
    this.closed = false;
  }

  private cacheUsable(): boolean {
    return (this.policy.cacheTtlMs ?? 0) > 0 && (this.policy.revocationsLive?.() ?? false);
  }

  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(id) ?? 0) < LAST_USED_PRECISION_MS) return;
    this.lastUsedWritten.set(id, now);
    // Best effort and off the request's path: a lost timestamp costs nothing.
    this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: new Date(now) } }).catch(() => undefined);
  }
}
