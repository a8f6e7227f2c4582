/**
 * Stopping everything a test started: each server or browser runs in its own process group (spawned
 * detached), so signalling the group reaches its children too (extension host, language server).
 * Linux only: the group's members are read from /proc.
 */
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** Live (not zombie) processes whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // Fields after the command name (which may hold spaces and parentheses): state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] !== "Z" && Number(fields[2]) === pgid) members.push(Number(entry));
  }
  return members;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

async function waitEmpty(pgid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (groupMembers(pgid).length === 0) return true;
    if (Date.now() > until) return false;
    await sleep(100);
  }
}

/** SIGTERM to the group, then SIGKILL to what is left after `graceMs`. Returns the pids that had to be killed. */
export async function stopGroup(pgid: number, graceMs = 5000): Promise<number[]> {
  signalGroup(pgid, "SIGTERM");
  if (await waitEmpty(pgid, graceMs)) {
    untrackGroup(pgid);
    return [];
  }
  const stubborn = groupMembers(pgid);
  signalGroup(pgid, "SIGKILL");
  if (!(await waitEmpty(pgid, 5000))) throw new Error(`processes ${groupMembers(pgid).join(", ")} of group ${pgid} survived SIGKILL`);
  untrackGroup(pgid);
  return stubborn;
}

/** For process "exit" handlers, which cannot wait: SIGKILL at once. */
export function killGroupNow(pgid: number): void {
  signalGroup(pgid, "SIGKILL");
}

/** Direct children of this process that lead their own process group (spawned detached). */
export function detachedChildren(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === process.pid && Number(fields[2]) === Number(entry)) found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/**
 * Groups to kill if this process ends before stopping them (a crash, Ctrl+C, the runner's SIGTERM):
 * "exit" handlers run on a normal exit only, so the signals get handlers of their own.
 */
const tracked = new Set<number>();
let handlersInstalled = false;

function killTracked(): void {
  for (const pgid of tracked) killGroupNow(pgid);
  tracked.clear();
}

export function trackGroup(pgid: number): void {
  tracked.add(pgid);
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once("exit", killTracked);
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    process.once(signal, () => {
      killTracked();
      process.exit(code);
    });
  }
}

export function untrackGroup(pgid: number): void {
  tracked.delete(pgid);
}
