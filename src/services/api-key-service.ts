// Client API keys for the internal tools that call the gateway. A key is
// shown once, when created; only its SHA-256 hash is stored. `read` keys may
// query; `write` keys may also clone (which spends the Faseeh wallet);
// `admin` keys may do all that and see every caller's clone attempts.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { GatewayError, guardDatabase } from "../errors.js";
import type { ApiKeyScope, Prisma, PrismaClient } from "../generated/prisma/client.js";

export type Scope = "read" | "write" | "admin";

export const SCOPES: readonly Scope[] = ["read", "write", "admin"];

/** Whether a scope may run mutations (cloning spends the Faseeh wallet). */
export const canWrite = (scope: Scope): boolean => scope === "write" || scope === "admin";

export type Principal =
  | { kind: "key"; id: string; name: string; scope: Scope }
  /** Nobody identified: allowed only while the gateway is open (see `authenticate`). */
  | { kind: "anonymous"; scope: Scope };

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
}

/** The channel revocations are announced on, with the key's id as payload. */
export const KEY_REVOKED_CHANNEL = "api_key_revoked";

type KeyPrincipal = Extract<Principal, { kind: "key" }>;

const KEY_PREFIX = "fvg_";
/** How much of a key is stored in clear to recognise it in lists. */
const PREFIX_LENGTH = 10;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  | { kind: "already-revoked"; key: ApiKeyView }
  | { kind: "none" }
  | { kind: "ambiguous"; keys: ApiKeyView[] }
  | { kind: "not-a-reference" };

const VIEW = { id: true, name: true, scope: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true } as const;
const LAST_USED_PRECISION_MS = 60_000;
/** Far more keys than any deployment has; past it the cache starts over rather than grow. */
const MAX_CACHED_KEYS = 10_000;

const toScope = (scope: ApiKeyScope): Scope => scope.toLowerCase() as Scope;
const fromScope = (scope: Scope): ApiKeyScope => scope.toUpperCase() as ApiKeyScope;
const toView = (row: Omit<ApiKeyView, "scope"> & { scope: ApiKeyScope }): ApiKeyView => ({ ...row, scope: toScope(row.scope) });
export const hashKey = (key: string) => createHash("sha256").update(key).digest("hex");

export const unauthenticated = (message: string) =>
  new GatewayError("UNAUTHENTICATED", message, { http: { headers: new Map([["www-authenticate", "Bearer"]]) } });

/** How the gateway may start, decided from the keys that exist at boot (see `ApiKeyService.bootPolicy`). */
export interface BootPolicy {
  /** No active key: anyone who can reach the gateway may call it. */
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

  constructor(
    private readonly prisma: PrismaClient,
    private readonly policy: KeyPolicy,
  ) {}

  async create(input: { name: string; scope: Scope }): Promise<CreatedKey> {
    const name = input.name.trim();
    if (!name) throw new GatewayError("BAD_USER_INPUT", "A key needs a name (the tool that uses it).", { field: "name" });
    const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
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
   * Revokes the key `reference` names: its id, the prefix that `list` shows
   * (with or without the trailing "…"), or the key itself. Takes effect on the
   * next request, in every replica.
   */
  async revoke(reference: string): Promise<RevokeResult> {
    const matches = await this.find(reference);
    if (matches === "not-a-reference") return { kind: "not-a-reference" };
    const [key, ...others] = matches;
    if (!key) return { kind: "none" };
    if (others.length > 0) return { kind: "ambiguous", keys: matches };
    if (key.revokedAt) return { kind: "already-revoked", key };
    const revokedAt = new Date();
    // The notification is sent when the revocation commits, to every replica listening (see forget).
    const [{ count }] = await guardDatabase(() =>
      this.prisma.$transaction([
        this.prisma.apiKey.updateMany({ where: { id: key.id, revokedAt: null }, data: { revokedAt } }),
        this.prisma.$executeRaw`SELECT pg_notify(${KEY_REVOKED_CHANNEL}, ${key.id})`,
      ]),
    );
    this.forget(key.id);
    return count === 1 ? { kind: "revoked", key: { ...key, revokedAt } } : { kind: "already-revoked", key };
  }

  async list(): Promise<ApiKeyView[]> {
    const rows = await guardDatabase(() => this.prisma.apiKey.findMany({ orderBy: { createdAt: "asc" }, select: VIEW }));
    return rows.map(toView);
  }

  /** Key management over GraphQL: `admin` keys, or anyone while the gateway is open (no key yet). */
  authorizeManagement(principal: Principal): void {
    if (principal.scope === "admin" || principal.kind === "anonymous") return;
    throw new GatewayError("FORBIDDEN", "Managing client keys needs an `admin` key.");
  }

  /** `createApiKey`: the secret is in the answer only. The first key of an open gateway must be `admin`. */
  async createFor(principal: Principal, input: { name: string; scope: Scope }): Promise<CreatedKey> {
    this.authorizeManagement(principal);
    if (principal.kind === "anonymous" && input.scope !== "admin") {
      throw new GatewayError(
        "BAD_USER_INPUT",
        "The first client key closes this gateway at once, so it must have the ADMIN scope; otherwise nobody could manage keys " +
          "afterwards without the command line. Create it with `scope: ADMIN`, then create the others with it.",
        { field: "scope" },
      );
    }
    return this.create(input);
  }

  private async find(reference: string): Promise<ApiKeyView[] | "not-a-reference"> {
    const text = reference.trim().replace(/(…|\.\.\.)$/, "");
    let where: Prisma.ApiKeyWhereInput;
    if (UUID.test(text)) where = { id: text.toLowerCase() };
    else if (text.startsWith(KEY_PREFIX) && text.length > PREFIX_LENGTH) where = { keyHash: hashKey(text) };
    else if (text.startsWith(KEY_PREFIX) && text.length >= KEY_PREFIX.length + 4) where = { prefix: { startsWith: text } };
    else return "not-a-reference";
    const rows = await guardDatabase(() => this.prisma.apiKey.findMany({ where, select: VIEW, orderBy: { createdAt: "asc" } }));
    return rows.map(toView);
  }

  async hasActiveKeys(): Promise<boolean> {
    return (await guardDatabase(() => this.prisma.apiKey.count({ where: { revokedAt: null }, take: 1 }))) > 0;
  }

  /**
   * The open/closed policy at boot: whether the gateway may start, and where
   * it may listen while it is open. Per request, `authenticate` applies the
   * same policy (an open gateway closes with its first key, no restart).
   */
  async bootPolicy(): Promise<BootPolicy> {
    const open = !(await this.hasActiveKeys());
    const { production, allowAnonymous } = this.policy;
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
          "Create an admin key (mutation createApiKey, or `npm run keys -- create --name <tool> --scope admin`): from then on " +
          "every request needs a key, without a restart."
        );
      },
    };
  }

  /** Whether callers without a key are let in: only while no key exists, and in production only on purpose. */
  async isOpen(): Promise<boolean> {
    if (this.policy.production && !this.policy.allowAnonymous) return false;
    return !(await this.hasActiveKeys());
  }

  /**
   * Identifies the caller from an `Authorization` header. Checked on every
   * request, so the first key created closes the gateway without a restart.
   */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) {
      if (await this.isOpen()) return { kind: "anonymous", scope: "write" };
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
