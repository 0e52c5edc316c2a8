// Client API keys for the internal tools that call the gateway. A key is
// shown once, when created; only its SHA-256 hash is stored. `read` keys may
// query; `write` keys may also clone (which spends the Faseeh wallet);
// `admin` keys may do all that and see every caller's clone attempts.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { GatewayError, guardDatabase } from "../errors.js";
import type { ApiKeyScope, PrismaClient } from "../generated/prisma/client.js";

export type Scope = "read" | "write" | "admin";

export const SCOPES: readonly Scope[] = ["read", "write", "admin"];

/** Whether a scope may run mutations (cloning spends the Faseeh wallet). */
export const canWrite = (scope: Scope): boolean => scope === "write" || scope === "admin";

export type Principal =
  | { kind: "key"; id: string; name: string; scope: Scope }
  /** Nobody identified: allowed only while the gateway is open (see `authenticate`). */
  | { kind: "anonymous"; scope: Scope };

export interface CreatedKey {
  id: string;
  name: string;
  scope: Scope;
  /** The secret itself: shown to the operator once, never stored. */
  key: string;
}

export interface KeyPolicy {
  /** Production refuses anonymous callers unless this is set on purpose. */
  production: boolean;
  allowAnonymous: boolean;
}

const KEY_PREFIX = "fvg_";
const LAST_USED_PRECISION_MS = 60_000;

const toScope = (scope: ApiKeyScope): Scope => scope.toLowerCase() as Scope;
const fromScope = (scope: Scope): ApiKeyScope => scope.toUpperCase() as ApiKeyScope;
export const hashKey = (key: string) => createHash("sha256").update(key).digest("hex");

export const unauthenticated = (message: string) =>
  new GatewayError("UNAUTHENTICATED", message, { http: { status: 401, headers: new Map([["www-authenticate", "Bearer"]]) } });

export class ApiKeyService {
  /** Throttles last-used writes: one per key per minute is plenty to tell stale keys. */
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly policy: KeyPolicy,
  ) {}

  async create(input: { name: string; scope: Scope }): Promise<CreatedKey> {
    const name = input.name.trim();
    if (!name) throw new GatewayError("BAD_USER_INPUT", "A key needs a name (the tool that uses it).", { field: "name" });
    const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
    const id = randomUUID();
    await this.prisma.apiKey.create({
      data: { id, name, scope: fromScope(input.scope), keyHash: hashKey(key), prefix: key.slice(0, 10) },
    });
    return { id, name, scope: input.scope, key };
  }

  /** True when the key existed and was active. */
  async revoke(id: string): Promise<boolean> {
    const { count } = await this.prisma.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    return count === 1;
  }

  list() {
    return this.prisma.apiKey.findMany({
      orderBy: { createdAt: "asc" },
      select: { id: true, name: true, scope: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true },
    });
  }

  async hasActiveKeys(): Promise<boolean> {
    return (await this.prisma.apiKey.count({ where: { revokedAt: null }, take: 1 })) > 0;
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
      if (await guardDatabase(() => this.isOpen())) return { kind: "anonymous", scope: "write" };
      throw unauthenticated("This gateway needs a client API key: send `Authorization: Bearer <key>`.");
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated("The Authorization header must be `Bearer <key>`.");
    const found = await guardDatabase(() => this.prisma.apiKey.findUnique({ where: { keyHash: hashKey(match[1]!) } }));
    if (!found || found.revokedAt) throw unauthenticated("The client API key is unknown or revoked.");
    this.touch(found.id);
    return { kind: "key", id: found.id, name: found.name, scope: toScope(found.scope) };
  }

  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(id) ?? 0) < LAST_USED_PRECISION_MS) return;
    this.lastUsedWritten.set(id, now);
    // Best effort and off the request's path: a lost timestamp costs nothing.
    this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: new Date(now) } }).catch(() => undefined);
  }
}
