// Whether a process recorded earlier (the embedded database's lock, an upload
// directory's marker) still runs, so that what it left can be taken over or
// removed, and what a live process holds never is. A pid alone does not say:
// pids are recycled, and a gateway restarted after a crash may get the very
// pid of the one that died. So on Linux a process is recorded with the
// kernel's boot id, its pid namespace and its start time in clock ticks since
// boot (/proc/<pid>/stat): the same pid with another start time is another
// process. Where /proc is missing, the pid is all there is to go on.
import { readFileSync, readlinkSync } from "node:fs";
import os from "node:os";

export interface ProcessIdentity {
  pid: number;
  hostname: string;
  /** Linux: the kernel's boot id; another one means the machine restarted since. */
  bootId?: string;
  /** Linux: the pid namespace its pid counts in, e.g. "pid:[4026531836]" (a container has its own). */
  pidNamespace?: string;
  /** Linux: when it started, in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  startTicks?: string;
}

/**
 * What can be told of a recorded process from here. "other-host" and
 * "other-namespace": it cannot be seen (another machine, another
 * container's pids), so it may well run.
 */
export type Liveness = "alive" | "dead" | "other-host" | "other-namespace";

let self: ProcessIdentity | undefined;

/** This process, as others should record it. */
export function currentProcess(): ProcessIdentity {
  self ??= {
    pid: process.pid,
    hostname: os.hostname(),
    bootId: readText("/proc/sys/kernel/random/boot_id")?.trim(),
    pidNamespace: readLink("/proc/self/ns/pid"),
    startTicks: procStat(process.pid)?.startTicks,
  };
  return self;
}

/** What is known of `owner` from here; the host is its hostname, as the lock and the markers record it. */
export function liveness(owner: ProcessIdentity): Liveness {
  const me = currentProcess();
  if (owner.hostname !== me.hostname) return "other-host";
  if (differ(owner.bootId, me.bootId)) return "dead"; // the machine restarted: all its processes are gone
  if (differ(owner.pidNamespace, me.pidNamespace)) return "other-namespace";
  // Our own pid: us, or a process that had it before (recorded with another start time).
  if (owner.pid === me.pid) return differ(owner.startTicks, me.startTicks) ? "dead" : "alive";
  if (!Number.isSafeInteger(owner.pid) || owner.pid <= 0 || !pidExists(owner.pid)) return "dead";
  const stat = procStat(owner.pid);
  if (stat && (stat.state === "Z" || stat.state === "X")) return "dead"; // killed, not yet reaped by its parent
  if (stat && owner.startTicks !== undefined) return stat.startTicks === owner.startTicks ? "alive" : "dead";
  // Recorded without a start time (by an older version): a pid that now runs another program is not it.
  const cmdline = readText(`/proc/${owner.pid}/cmdline`);
  return cmdline === undefined || cmdline.includes("node") ? "alive" : "dead";
}

/** False only when the process certainly no longer runs. */
export function isAlive(owner: ProcessIdentity): boolean {
  return liveness(owner) !== "dead";
}

/** Both known and different (an unknown side proves nothing). */
function differ(recorded: string | undefined, actual: string | undefined): boolean {
  return recorded !== undefined && actual !== undefined && recorded !== actual;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // it runs, as another user
  }
}

/** Its state (field 3 of /proc/<pid>/stat) and start time (field 22); undefined without /proc. */
function procStat(pid: number): { state: string; startTicks: string } | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count from the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const [state, startTicks] = [fields[0], fields[19]];
  return state && startTicks ? { state, startTicks } : undefined;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function readLink(file: string): string | undefined {
  try {
    return readlinkSync(file);
  } catch {
    return undefined;
  }
}
