// Persistence of clone attempts: the ledger that makes every cloneVoice call
// accountable (and idempotent when it carries a key). Every status change,
// the voice's arrival and the sweep of stale attempts included, goes through
// `move`, which applies ATTEMPT_TRANSITIONS (clone-attempt-lifecycle.ts) as
// one conditional UPDATE, so only the moves that table allows can happen.
// Which move a clone makes is decided elsewhere (clone-decisions.ts).
// Every query runs under guardDatabase: an unreachable database is
// DATABASE_UNAVAILABLE, whichever method met it.
import { type GatewayError } from "../../errors.js";
import { guardDatabase, mapDatabaseError } from "../../db/database-errors.js";
import { type CloneAttempt, type CloneAttemptStatus, Prisma, type PrismaClient } from "../../generated/prisma/client.js";
import type { UpstreamVoice } from "../../upstream/faseeh-client.js";
import { parsePageSize, type VoiceRecord } from "../catalog/catalog-service.js";
import { voiceInsertIfAbsent, voiceUpsert } from "../catalog/voice-writes.js";
import { ATTEMPT_CREATIONS, ATTEMPT_TRANSITIONS, type AttemptTransitionName } from "./clone-attempt-lifecycle.js";
import { HASH_OF_REFUSED_CALL } from "./clone-request-hash.js";

export type { CloneAttemptStatus };
export type CloneAttemptRecord = CloneAttempt;

export interface NewAttempt {
  id: string;
  /** A client key's id, or ANONYMOUS_OWNER (api-key-service.ts): idempotency keys are unique per owner. */
  owner: string;
  idempotencyKey: string | undefined;
  requestHash: string;
  name: string;
  model: string;
  /** The request's validated fields (never the files). */
  request: Record<string, unknown>;
  /** The preview the files came from, if any: kept while this attempt is PENDING. */
  previewId?: string | undefined;
  ttlHours: number;
}

export type BeginResult = { kind: "started" } | { kind: "existing"; attempt: CloneAttempt };

/** What a clone request adds to the voice it created: its catalog tags, and its hash once known. */
interface VoiceExtra {
  tags?: readonly string[] | undefined;
  requestHash?: string | undefined;
}

/** What a failed or unknown attempt keeps of the error its client got. */
type Outcome = { error: Pick<GatewayError, "code" | "message">; requestHash?: string | undefined };

export class CloneAttemptStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Records an attempt before Faseeh is called; with a key the owner already used, returns the earlier attempt. */
  async begin(attempt: NewAttempt): Promise<BeginResult> {
    try {
      await this.prisma.cloneAttempt.create({
        data: {
          id: attempt.id,
          owner: attempt.owner,
          idempotencyKey: attempt.idempotencyKey ?? null,
          requestHash: attempt.requestHash,
          name: attempt.name,
          model: attempt.model,
          request: attempt.request as Prisma.InputJsonValue,
          previewId: attempt.previewId ?? null,
          expiresAt: new Date(Date.now() + attempt.ttlHours * 3_600_000),
        },
      });
      return { kind: "started" };
    } catch (error) {
      if (attempt.idempotencyKey && error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
        const existing = await this.findByKey(attempt.owner, attempt.idempotencyKey);
        if (existing) return { kind: "existing", attempt: existing };
      }
      return mapDatabaseError(error);
    }
  }

  async findByKey(owner: string, idempotencyKey: string): Promise<CloneAttempt | null> {
    return guardDatabase(() => this.prisma.cloneAttempt.findFirst({ where: { owner, idempotencyKey } }));
  }

  async find(id: string): Promise<CloneAttempt | null> {
    return guardDatabase(() => this.prisma.cloneAttempt.findUnique({ where: { id } }));
  }

  /**
   * One move of the lifecycle, as a conditional UPDATE of the attempts
   * `where` selects: only those whose status the move allows right now
   * change. Built, not run: awaited alone or inside a transaction.
   */
  private move(
    name: AttemptTransitionName,
    where: Prisma.CloneAttemptWhereInput,
    data: Prisma.CloneAttemptUpdateManyMutationInput = {},
  ): Prisma.PrismaPromise<Prisma.BatchPayload> {
    const { from, to } = ATTEMPT_TRANSITIONS[name];
    return this.prisma.cloneAttempt.updateMany({ where: { ...where, status: { in: [...from] } }, data: { ...data, status: to } });
  }

  /**
   * Applies one move to attempt `id`, if its status allows it right now.
   * False when it did not (someone else moved it first, or the move is not
   * allowed from where it is).
   */
  private async moveOne(
    id: string,
    name: AttemptTransitionName,
    data: Prisma.CloneAttemptUpdateManyMutationInput = {},
  ): Promise<boolean> {
    const { count } = await guardDatabase(() => this.move(name, { id }, data));
    return count === 1;
  }

  /** Takes over a FAILED attempt for a retry with the same key; false when someone else did. */
  retake(id: string, requestHash: string): Promise<boolean> {
    return this.moveOne(id, "retake", { requestHash, errorCode: null, errorMessage: null });
  }

  /** Faseeh certainly created nothing. */
  fail(id: string, { error, requestHash }: Outcome): Promise<boolean> {
    return this.moveOne(id, "fail", { ...(requestHash && { requestHash }), errorCode: error.code, errorMessage: error.message });
  }

  /** Faseeh had the whole request; whether it created the voice is unknown. */
  markUnknown(id: string, { error, requestHash }: Outcome): Promise<boolean> {
    return this.moveOne(id, "markUnknown", {
      ...(requestHash && { requestHash }),
      errorCode: error.code,
      errorMessage: error.message,
    });
  }

  /**
   * Records a call refused before it had an attempt (invalid input, cloning
   * not configured) as FAILED, so `cloneAttempts` accounts for every call.
   * It never holds an idempotency key: the corrected request takes the key.
   */
  async recordRefusal(refusal: {
    id: string;
    owner: string;
    name: unknown;
    model: unknown;
    error: Pick<GatewayError, "code" | "message">;
  }): Promise<void> {
    const text = (value: unknown) => (typeof value === "string" ? value.trim().slice(0, 200) : "");
    await guardDatabase(() =>
      this.prisma.cloneAttempt.create({
        data: {
          id: refusal.id,
          owner: refusal.owner,
          requestHash: HASH_OF_REFUSED_CALL,
          status: ATTEMPT_CREATIONS.refuse.to,
          name: text(refusal.name),
          model: text(refusal.model),
          errorCode: refusal.error.code,
          errorMessage: refusal.error.message,
          expiresAt: new Date(),
        },
      }),
    );
  }

  /**
   * Stores the voice Faseeh created and closes the attempt, atomically.
   * `tags` are the request's own (the catalog's, never Faseeh's); absent,
   * the voice has none. `requestHash` is known only once the request's files
   * arrived in full; it keeps a different request from replaying this
   * attempt's key.
   */
  async recordVoice(attemptId: string, voice: UpstreamVoice, model: string, extra: VoiceExtra = {}): Promise<VoiceRecord> {
    const [stored] = await guardDatabase(() =>
      this.prisma.$transaction([
        voiceUpsert(this.prisma, { ...voice, model, tags: [...(extra.tags ?? [])] }),
        this.move("recordVoice", { id: attemptId }, this.voiceRecorded(voice, extra)),
      ]),
    );
    return stored;
  }

  /**
   * recordVoice for a journaled voice, unless it is stored already: by the
   * clone that journaled it, or by another replica's recovery pass importing
   * the same entry at this moment (replicas share RECOVERY_DIR). In one
   * transaction, the voice is inserted only if its row does not exist, and the
   * attempt moved only if it does not hold its voice yet; concurrent importers
   * of one entry queue on the voice's key, and exactly one stores it. True
   * when this call stored the voice.
   */
  async importVoice(attemptId: string, voice: UpstreamVoice, model: string, extra: VoiceExtra = {}): Promise<boolean> {
    const notYetRecorded: Prisma.CloneAttemptWhereInput = {
      id: attemptId,
      OR: [{ status: { not: "SUCCEEDED" } }, { upstreamVoice: { equals: Prisma.DbNull } }],
    };
    const [inserted] = await guardDatabase(() =>
      this.prisma.$transaction([
        voiceInsertIfAbsent(this.prisma, { ...voice, model, tags: [...(extra.tags ?? [])] }),
        this.move("recordVoice", notYetRecorded, this.voiceRecorded(voice, extra)),
      ]),
    );
    return inserted.count === 1;
  }

  /** What an attempt records of the voice Faseeh created for it. */
  private voiceRecorded(voice: UpstreamVoice, { requestHash }: VoiceExtra): Prisma.CloneAttemptUpdateManyMutationInput {
    return {
      ...(requestHash && { requestHash }),
      voiceId: voice.voiceId,
      upstreamVoice: voice,
      errorCode: null,
      errorMessage: null,
    };
  }

  /** An operator found that Faseeh created nothing for this UNKNOWN attempt: its key may be used again. */
  resolveNotCreated(id: string): Promise<boolean> {
    return this.moveOne(id, "resolveNotCreated", {
      resolvedAt: new Date(),
      errorMessage: "Resolved by an operator: Faseeh created no voice for this request. Retrying with the same key clones anew.",
    });
  }

  /** An operator found the voice Faseeh created for this UNKNOWN attempt; it is stored once its record is known. */
  resolveCreated(id: string, voiceId: string): Promise<boolean> {
    return this.moveOne(id, "resolveCreated", {
      resolvedAt: new Date(),
      voiceId,
      errorCode: null,
      errorMessage: null,
    });
  }

  /** Attempts resolved as created whose voice record is not known (so not stored) yet. */
  async awaitingVoiceRecord(): Promise<CloneAttempt[]> {
    return guardDatabase(() =>
      this.prisma.cloneAttempt.findMany({
        where: {
          status: "SUCCEEDED",
          resolvedAt: { not: null },
          voiceId: { not: null },
          upstreamVoice: { equals: Prisma.DbNull },
        },
        orderBy: { createdAt: "asc" },
        take: 100,
      }),
    );
  }

  /** `owner` undefined: everybody's (admin keys and operators). */
  async list(args: {
    owner: string | undefined;
    status?: CloneAttemptStatus | null;
    first?: number | null;
  }): Promise<CloneAttempt[]> {
    const first = parsePageSize(args.first);
    return guardDatabase(() =>
      this.prisma.cloneAttempt.findMany({
        where: { ...(args.owner !== undefined && { owner: args.owner }), ...(args.status && { status: args.status }) },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: first,
      }),
    );
  }

  /** Attempts left PENDING by a process that died mid-call: their outcome is unknown. */
  async markStalePendingUnknown(olderThan: Date): Promise<number> {
    const { count } = await guardDatabase(() =>
      this.move(
        "markUnknown",
        { updatedAt: { lt: olderThan } },
        {
          errorCode: "UPSTREAM_OUTCOME_UNKNOWN",
          errorMessage: "The gateway stopped while this clone was in flight; Faseeh may or may not have created the voice.",
        },
      ),
    );
    return count;
  }

  /** Frees idempotency keys past their retention; the attempts stay as history. */
  async expireKeys(now = new Date()): Promise<number> {
    const { count } = await guardDatabase(() =>
      this.prisma.cloneAttempt.updateMany({
        where: { idempotencyKey: { not: null }, expiresAt: { lt: now } },
        data: { idempotencyKey: null },
      }),
    );
    return count;
  }
}
