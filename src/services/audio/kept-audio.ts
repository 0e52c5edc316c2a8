// What the audio route needs of any audio the gateway keeps (a preview's, a
// speech's): where its PCM is, its format, and its digest for the ETag. Each
// kind's service answers it for its own ids; the route and the signer are
// shared (src/http/audio-route.ts, audio-url-signer.ts).
import type { AudioKind } from "./audio-url-signer.js";

/** Headerless 16-bit PCM on disk, exactly as Faseeh produced it. */
export interface KeptAudio {
  path: string;
  bytes: number;
  sha256: string;
  sampleRate: number;
  channels: number;
}

/** One kind's kept audio, by id, for the route. */
export interface AudioShelf {
  /** The audio while it is kept; null when unknown or expired. */
  find(id: string): Promise<KeptAudio | null>;
  /** What a 404 says when it is gone. */
  readonly goneMessage: string;
}

export type AudioShelves = Readonly<Record<AudioKind, AudioShelf>>;
