// src/services/ is grouped by what users do, one folder ("room") each, and
// each room's README.md is its index. These checks keep the indexes true as
// files come and go: every file named, every name a file, every room in the
// project README's "Where things are".
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../dev/spawn-ts.js";

const SERVICES = path.join(PROJECT_ROOT, "src/services");
const rooms = readdirSync(SERVICES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => entry.name);
}

const namedFiles = (index: string): string[] => [...index.matchAll(/`([\w./-]+\.ts)`/g)].map((match) => path.basename(match[1]!));

describe("the rooms of src/services", () => {
  it("are the ones the project README lists", () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    expect(rooms.length).toBeGreaterThanOrEqual(5);
    const servicesRow = readme.split("\n").find((line) => line.startsWith("| `src/services/` |")) ?? "";
    for (const room of rooms) expect(servicesRow, `the src/services/ row names ${room}/`).toContain(`\`${room}/\``);
  });

  it.each(rooms)("%s: its README.md names every file in it, and only those", (room) => {
    const index = readFileSync(path.join(SERVICES, room, "README.md"), "utf8");
    const files = sourceFiles(path.join(SERVICES, room));
    expect(files.length).toBeGreaterThan(0);
    expect(new Set(namedFiles(index))).toEqual(new Set(files));
  });
});
