// A clone's files when they are the request's own uploads: streamed to
// Faseeh as they arrive (see AudioUpload), kept on disk while the clone runs,
// and removed after it, whatever happened.
import type { Config } from "../../config.js";
import { UploadSession, uploadsBaseDir } from "../uploads/upload-session.js";
import type { CloneForm } from "./clone-input.js";
import type { CloneFiles } from "./clone-request-hash.js";

/**
 * What a clone does with its uploaded files. `checkFirstFile` resolves once
 * the first file to arrive (and the other, if it is here already) passed its
 * checks: nobody is contacted before that.
 */
export type UploadedFilesWork<T> = (files: CloneFiles, checkFirstFile: () => Promise<void>) => Promise<T>;

/** Runs `work` on the uploads `form` names, within an upload session of their own. */
export async function withUploadedFiles<T>(
  uploads: Config["uploads"],
  form: Extract<CloneForm, { kind: "files" }>,
  signal: AbortSignal,
  work: UploadedFilesWork<T>,
): Promise<T> {
  const session = await UploadSession.open({ baseDir: uploadsBaseDir(uploads), prefix: "clone-", limits: uploads, signal });
  try {
    const files = {
      // Faseeh's own preview answer is headerless PCM: accepted here when the client says so.
      voiceFile: session.file(form.voiceFile, "input.voiceFile", { allowRawPcm: true }),
      referenceAudioFile: session.file(form.referenceAudioFile, "input.referenceAudioFile"),
    };
    // Check the first file to arrive before contacting anyone (the other
    // is checked as it streams, see AudioUpload, unless it is here already).
    const checkFirstFile = async () => {
      const first = await Promise.race([files.voiceFile.started(), files.referenceAudioFile.started()]);
      await first.ready();
      // A small body may hold the other file already: check it too while nothing is sent.
      const second = first === files.voiceFile ? files.referenceAudioFile : files.voiceFile;
      if (second.hasArrived) await second.ready();
    };
    return await work(files, checkFirstFile);
  } finally {
    // Reads whatever is left of the uploads (or the request would stall; a
    // cancelled clone's are abandoned at once), then removes their copies.
    await session.close();
  }
}
