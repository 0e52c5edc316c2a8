// Persistence of clone attempts: the ledger that makes every cloneVoice call
// accountable (and idempotent when it carries a key).
import { type GatewayError, guardDatabase, mapDatabaseError } from "../errors.js";
import { type CloneAttempt, type CloneAttemptStatus, Prisma, type PrismaClient } from "../generated/prisma/client.js";
import type { UpstreamVoice } from "../upstream/faseeh-client.js";
import { normaliseVoice, parsePageSize, type VoiceRecord } from "./catalog-service.js";

export type { CloneAttemptStatus };
export type CloneAttemptRecord = CloneAttempt;

export interface NewAttempt {
  id: string;
  idempotencyKey: string | undefined;
  requestHash: string;
  name: string;
  model: string;
  ttlHours: number;
}

export type BeginResult = { kind: "started" } | { kind: "existing"; attempt: CloneAttempt };

export class CloneAttemptStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Records an attempt before Faseeh is called; with a key already taken, returns the earlier attempt. */
  async begin(attempt: NewAttempt): Promise<BeginResult> {
    try {
      await this.prisma.cloneAttempt.create({
        data: {
          id: attempt.id,
          idempotencyKey: attempt.idempotencyKey ?? null,
          requestHash: attempt.requestHash,
          name: attempt.name,
          model: attempt.model,
          expiresAt: new Date(Date.now() + attempt.ttlHours * 3_600_000),
        },
      });
      return { kind: "started" };
    } catch (error) {
      if (attempt.idempotencyKey && error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
        const existing = await this.findByKey(attempt.idempotencyKey);
        if (existing) return { kind: "existing", attempt: existing };
      }
      return mapDatabaseError(error);
    }
  }

  async findByKey(idempotencyKey: string): Promise<CloneAttempt | null> {
    return guardDatabase(() => this.prisma.cloneAttempt.findUnique({ where: { idempotencyKey } }));
  }

  /** Takes over a FAILED attempt for a retry with the same key; false when someone else did. */
  async retake(id: string, requestHash: string): Promise<boolean> {
    const { count } = await guardDatabase(() =>
      this.prisma.cloneAttempt.updateMany({
        where: { id, status: "FAILED" },
        data: { status: "PENDING", requestHash, errorCode: null, errorMessage: null },
      }),
    );
    return count === 1;
  }

  /** Forgets an attempt that spent nothing because the client's own input was invalid. */
  async discard(id: string): Promise<void> {
    await this.prisma.cloneAttempt.deleteMany({ where: { id } });
  }

  /** `requestHash`: known only now for a streamed request; keeps a different request from retaking the key. */
  async markFailed(id: string, error: GatewayError, requestHash?: string): Promise<void> {
    await this.prisma.cloneAttempt.updateMany({
      where: { id, status: "PENDING" },
      data: {
        ...(requestHash && { requestHash }),
        status: error.upstreamOutcome === "unknown" ? "UNKNOWN" : "FAILED",
        errorCode: error.code,
        errorMessage: error.message,
      },
    });
  }

  /** Stores the voice Faseeh created and closes the attempt, atomically. */
  async complete(attemptId: string, voice: UpstreamVoice, model: string, requestHash?: string): Promise<VoiceRecord> {
    const data = normaliseVoice({ ...voice, model });
    const [stored] = await guardDatabase(() =>
      this.prisma.$transaction([
        this.prisma.voice.upsert({ where: { id: data.id }, create: data, update: {} }),
        this.prisma.cloneAttempt.updateMany({
          where: { id: attemptId },
          data: {
            status: "SUCCEEDED",
            ...(requestHash && { requestHash }),
            voiceId: voice.voiceId,
            upstreamVoice: voice as unknown as Prisma.InputJsonValue,
            errorCode: null,
            errorMessage: null,
          },
        }),
      ]),
    );
    return stored;
  }

  async list(args: { status?: CloneAttemptStatus | null; first?: number | null }): Promise<CloneAttempt[]> {
    const first = parsePageSize(args.first);
    return guardDatabase(() =>
      this.prisma.cloneAttempt.findMany({
        where: args.status ? { status: args.status } : {},
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: first,
      }),
    );
  }

  /** Attempts left PENDING by a process that died mid-call: their outcome is unknown. */
  async markStalePendingUnknown(olderThan: Date): Promise<number> {
    const { count } = await this.prisma.cloneAttempt.updateMany({
      where: { status: "PENDING", updatedAt: { lt: olderThan } },
      data: {
        status: "UNKNOWN",
        errorCode: "UPSTREAM_UNAVAILABLE",
        errorMessage: "The gateway stopped while this clone was in flight; Faseeh may or may not have created the voice.",
      },
    });
    return count;
  }

  /** Frees idempotency keys past their retention; the attempts stay as history. */
  async expireKeys(now = new Date()): Promise<number> {
    const { count } = await this.prisma.cloneAttempt.updateMany({
      where: { idempotencyKey: { not: null }, expiresAt: { lt: now } },
      data: { idempotencyKey: null },
    });
    return count;
  }
}
