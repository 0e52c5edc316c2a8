// Signed, expiring URLs for the audio the gateway keeps (previews, speech).
// An `<audio src>` cannot send an Authorization header, so the URL itself
// carries the permission: an HMAC-SHA256 (PREVIEW_URL_SECRET) over what the
// audio is (its kind and id) and the URL's expiry. Checking one needs no
// database and no disk, so a wrong, expired or tampered URL is refused before
// anything is read, and a preview's token never opens a speech.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type Clock, systemClock } from "../../clock.js";

/** The kinds of kept audio, as the first segment of their URLs' paths. */
export type AudioKind = "previews" | "speech";

export const AUDIO_KINDS: readonly AudioKind[] = ["previews", "speech"];

export interface SignedAudioUrl {
  url: string;
  expiresAt: Date;
}

/** What each kind's tokens are made over (a preview's as before speech existed, so URLs handed out stay good), and where a new URL comes from. */
const KIND: Record<AudioKind, { label: string; renew: string }> = {
  previews: { label: "preview-audio", renew: "query `voicePreview`" },
  speech: { label: "speech-audio", renew: "query `speeches`, or send the same `speak` again: it is not billed twice" },
};

export class AudioUrlSigner {
  private readonly key: Buffer;

  constructor(
    secret: string | undefined,
    private readonly ttlSeconds: number,
    private readonly clock: Clock = systemClock,
  ) {
    // Without a configured secret URLs are signed with a per-process one: they stop working at a
    // restart and on other replicas (the README says to set PREVIEW_URL_SECRET when that matters).
    this.key = secret ? Buffer.from(secret, "utf8") : randomBytes(32);
  }

  /** `origin/<kind>/<id>.wav?expires=…&token=…`, valid for PREVIEW_URL_TTL_SECONDS and never past `notAfter`. */
  sign(origin: string, kind: AudioKind, id: string, notAfter: Date): SignedAudioUrl {
    const expires = Math.floor(Math.min(this.clock.now() / 1000 + this.ttlSeconds, notAfter.getTime() / 1000));
    const query = new URLSearchParams({ expires: String(expires), token: this.token(kind, id, expires) });
    return { url: `${origin}/${kind}/${id}.wav?${query.toString()}`, expiresAt: new Date(expires * 1000) };
  }

  /** Why the URL is refused, or undefined when it is good for `kind`'s `id` right now. */
  refusal(kind: AudioKind, id: string, expires: unknown, token: unknown): string | undefined {
    const renew = KIND[kind].renew;
    if (typeof expires !== "string" || typeof token !== "string" || !/^\d{1,12}$/.test(expires)) {
      return `This audio URL is not signed; ask the gateway for a new one (${renew}).`;
    }
    const expected = Buffer.from(this.token(kind, id, Number(expires)));
    const given = Buffer.from(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return `This audio URL's signature is not valid; ask the gateway for a new one (${renew}).`;
    }
    if (Number(expires) * 1000 <= this.clock.now()) {
      return `This audio URL has expired; ask the gateway for a new one (${renew}).`;
    }
    return undefined;
  }

  private token(kind: AudioKind, id: string, expires: number): string {
    return createHmac("sha256", this.key).update(`${KIND[kind].label}\n${id}\n${expires}`).digest("base64url");
  }
}
