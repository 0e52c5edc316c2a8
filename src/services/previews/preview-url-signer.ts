// Signed, expiring URLs for a preview's audio. An `<audio src>` cannot send
// an Authorization header, so the URL itself carries the permission: an
// HMAC-SHA256 (PREVIEW_URL_SECRET) over the preview's id and the URL's
// expiry. Checking one needs no database and no disk, so a wrong, expired or
// tampered URL is refused before anything is read.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type Clock, systemClock } from "../../clock.js";

export interface SignedAudioUrl {
  url: string;
  expiresAt: Date;
}

export class PreviewUrlSigner {
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

  /** `origin/previews/<id>.wav?expires=…&token=…`, valid for PREVIEW_URL_TTL_SECONDS and never past `notAfter`. */
  sign(origin: string, id: string, notAfter: Date): SignedAudioUrl {
    const expires = Math.floor(Math.min(this.clock.now() / 1000 + this.ttlSeconds, notAfter.getTime() / 1000));
    const query = new URLSearchParams({ expires: String(expires), token: this.token(id, expires) });
    return { url: `${origin}/previews/${id}.wav?${query.toString()}`, expiresAt: new Date(expires * 1000) };
  }

  /** Why the URL is refused, or undefined when it is good for `id` right now. */
  refusal(id: string, expires: unknown, token: unknown): string | undefined {
    if (typeof expires !== "string" || typeof token !== "string" || !/^\d{1,12}$/.test(expires)) {
      return "This audio URL is not signed; ask the gateway for a new one (query `voicePreview`).";
    }
    const expected = Buffer.from(this.token(id, Number(expires)));
    const given = Buffer.from(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return "This audio URL's signature is not valid; ask the gateway for a new one (query `voicePreview`).";
    }
    if (Number(expires) * 1000 <= this.clock.now()) {
      return "This audio URL has expired; ask the gateway for a new one (query `voicePreview`).";
    }
    return undefined;
  }

  private token(id: string, expires: number): string {
    return createHmac("sha256", this.key).update(`preview-audio\n${id}\n${expires}`).digest("base64url");
  }
}
