// Watches the part headers at the start of a multipart request body, so that
// a malformed GraphQL multipart request can be explained in the client's own
// terms. graphql-upload-minimal says "Misordered multipart fields; files
// should follow 'map'" whether `operations` was sent as a file (`curl -F
// operations=@ops.json`), `map` was forgotten, or the parts came in the wrong
// order; the part names and kinds seen here tell those apart.
//
// Only the headers of the parts before the first file are looked at (they
// are small: `operations` and `map`); the watch stops at the first file part,
// so large uploads cost nothing.
import type { IncomingMessage } from "node:http";

export interface PartSeen {
  name: string;
  isFile: boolean;
}

const HEADER_END = "\r\n\r\n";
/** Enough of the previous chunk to find a part header split across chunks. */
const CARRY_BYTES = 2048;

export class MultipartParts {
  readonly seen: PartSeen[] = [];
  private carry = "";
  private done = false;
  private readonly delimiter: string;
  private readonly onData = (chunk: Buffer) => this.scan(chunk);

  constructor(
    private readonly req: IncomingMessage,
    boundary: string,
  ) {
    this.delimiter = `--${boundary}\r\n`;
    req.on("data", this.onData);
  }

  /** The boundary of a multipart content type, or undefined. */
  static boundaryOf(contentType: string | undefined): string | undefined {
    const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
    return match?.[1] ?? match?.[2];
  }

  stop(): void {
    if (this.done) return;
    this.done = true;
    this.req.off("data", this.onData);
    this.carry = "";
  }

  /**
   * What is wrong with the request's parts, in the client's terms, when the
   * multipart parser refused it; undefined when the parts look right (the
   * parser's own message then stands).
   */
  explain(): string | undefined {
    const order = "Send `operations` first, then `map`, then the files (curl: -F operations='{…}' -F map='{…}' -F 0=@file).";
    const operations = this.seen.findIndex((part) => part.name === "operations");
    const map = this.seen.findIndex((part) => part.name === "map");
    const asFile = this.seen.find((part) => part.isFile && (part.name === "operations" || part.name === "map"));
    if (asFile) {
      return (
        `\`${asFile.name}\` must be a plain form field, not a file: send its JSON as the value ` +
        `(curl: -F ${asFile.name}='{…}', or -F ${asFile.name}='<${asFile.name}.json' to read it from a file; not @${asFile.name}.json).`
      );
    }
    if (operations === -1) return `The \`operations\` field is missing. ${order}`;
    if (map !== -1 && map < operations) return `\`operations\` must come first, before \`map\`. ${order}`;
    if (map === -1) return `The \`map\` field is missing: it says which file part fills which variable. ${order}`;
    return undefined;
  }

  private scan(chunk: Buffer): void {
    // Part headers are ASCII; latin1 keeps byte offsets and never throws.
    const text = this.carry + chunk.toString("latin1");
    let from = 0;
    for (;;) {
      const start = text.indexOf(this.delimiter, from);
      if (start === -1) break;
      const headersStart = start + this.delimiter.length;
      const end = text.indexOf(HEADER_END, headersStart);
      if (end === -1) {
        from = start;
        break;
      }
      const headers = text.slice(headersStart, end);
      const name = /name="([^"]*)"/i.exec(headers)?.[1] ?? "";
      const isFile = /filename\*?=/i.test(headers);
      this.seen.push({ name, isFile });
      if (isFile || this.seen.length > 8) {
        this.stop();
        return;
      }
      from = end + HEADER_END.length;
    }
    this.carry = text.slice(Math.max(from, text.length - CARRY_BYTES));
  }
}
