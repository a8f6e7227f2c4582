/**
 * Which TCP ports a process group listens on, from /proc (Linux): each process's socket inodes,
 * matched against the LISTEN rows of /proc/net/tcp and tcp6. For checking that nothing the suite
 * starts is reachable from outside the machine.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { groupMembers } from "./process-group.js";

export interface Listener {
  pid: number;
  address: string;
  port: number;
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes; // exited
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed while we looked
    }
  }
  return inodes;
}

/** /proc/net/tcp writes addresses as little-endian hex words. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join(".");
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join("."); // IPv4-mapped
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

function listeningRows(): Map<string, { address: string; port: number }> {
  const rows = new Map<string, { address: string; port: number }>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A") continue; // 0A: LISTEN
      const [addr, port] = f[1]!.split(":");
      rows.set(f[9]!, { address: decodeAddress(addr!), port: parseInt(port!, 16) });
    }
  }
  return rows;
}

/** TCP listeners of the processes in the given process groups. */
export function listeners(pgids: number[]): Listener[] {
  const rows = listeningRows();
  const found: Listener[] = [];
  for (const pgid of pgids) {
    for (const pid of groupMembers(pgid)) {
      for (const inode of socketInodes(pid)) {
        const row = rows.get(inode);
        if (row) found.push({ pid, ...row });
      }
    }
  }
  return found;
}

export const isLoopback = (address: string): boolean => address.startsWith("127.") || address === "::1";
