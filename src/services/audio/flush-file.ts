// A kept file's record made durable (fsync), paid only when its row could not
// be stored: then the record on disk is what lasts (previews, speech).
import { open } from "node:fs/promises";

export async function flushFile(file: string): Promise<void> {
  const handle = await open(file, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
