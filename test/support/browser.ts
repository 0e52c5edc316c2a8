// Real browser tests: playwright-core drives Debian's `chromium` package
// (installed by .ci/install-chromium.sh) rather than a browser Playwright
// downloads, so nothing is ever fetched from Playwright's CDN. playwright-core
// is the library without the browser installer; the executable path is ours.
import { accessSync, constants } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { CHROMIUM, commandPath, missingTools } from "./host-tools.js";

const DEBIAN_CHROMIUM = "/usr/bin/chromium";

/** Debian's chromium: /usr/bin/chromium, else the first `chromium` on PATH (what `which chromium` finds). */
export function chromiumPath(): string {
  try {
    accessSync(DEBIAN_CHROMIUM, constants.X_OK);
    return DEBIAN_CHROMIUM;
  } catch {
    const found = commandPath("chromium");
    if (found === undefined) throw new Error(missingTools([CHROMIUM]));
    return found;
  }
}

/**
 * Headless chromium. --no-sandbox because tests run as root in containers; autoplay
 * without a gesture so tests can call play(); no GPU and no /dev/shm, which
 * containers rarely have (or have tiny).
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

export interface ServedPage {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  /** Stops listening and destroys every open socket (keep-alive ones included). */
  close(): Promise<void>;
}

/** Serves `html` at GET / on 127.0.0.1 (ephemeral port); everything else is a 404. */
export async function servePage(html: string): Promise<ServedPage> {
  const body = Buffer.from(html, "utf8");
  // Track sockets ourselves: server.close() alone waits for the browser's keep-alive connections.
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://page.invalid").pathname;
    if (req.method === "GET" && pathname === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": body.length });
      res.end(body);
    } else {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("Not found");
    }
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/`,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await serverClosed;
      })();
      return closing;
    },
  };
}

/** What a page's `<audio>` element reported: its duration, and where it ended after seeking near the end. */
export interface AudioCheck {
  duration: number;
  endedAt: number;
}

/** A page whose `<audio>` loads `audioUrl`, seeks 0.4 s before its end (a Range request) and plays to the end. */
const audioPlayerPage = (audioUrl: string) => `<!doctype html>
<html><body>
<audio id="player" preload="auto" src="${audioUrl.replace(/&/g, "&amp;")}"></audio>
<script>
  window.audioCheck = new Promise((resolve, reject) => {
    const audio = document.getElementById("player");
    audio.addEventListener("error", () => reject(new Error("audio error " + (audio.error && audio.error.code))));
    audio.addEventListener("loadedmetadata", () => {
      const duration = audio.duration;
      audio.addEventListener("ended", () => resolve({ duration, endedAt: audio.currentTime }), { once: true });
      audio.currentTime = Math.max(0, duration - 0.4);
      audio.play().catch(reject);
    }, { once: true });
  });
</script>
</body></html>`;

/** Plays `audioUrl` in headless chromium from a page on another origin, as an internal tool's page would. */
export async function playInBrowser(audioUrl: string): Promise<AudioCheck> {
  const served = await servePage(audioPlayerPage(audioUrl));
  const browser = await launchBrowser();
  try {
    const tab = await browser.newPage();
    await tab.goto(served.url);
    return await tab.evaluate<AudioCheck>("window.audioCheck");
  } finally {
    await browser.close();
    await served.close();
  }
}
