/** Cleanup for tests that start Jupyter kernels: finds them by a unique temp path in their argv. */
import { existsSync, readdirSync, readFileSync } from "node:fs";

/**
 * SIGKILLs every process whose command line contains `marker` (a temporary folder only this test
 * created, such as the Jupyter runtime folder its kernels' connection files live in). Linux only
 * (reads /proc); elsewhere it does nothing.
 */
export function killProcessesMentioning(marker: string): number[] {
  if (!existsSync("/proc")) return [];
  const killed: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    if (!cmdline.includes(marker)) continue;
    try {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return killed;
}
