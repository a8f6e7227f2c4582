/**
 * The PyTorch peer (../shared/bench, only when present): makes the 160M-parameter bf16 benchmark
 * models and runs the reference TIES merge, each measured with /usr/bin/time (wall seconds, peak RSS).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export interface Measured {
  seconds: number;
  peakRssMB: number;
  stdout: string;
}

/** `../shared/bench` beside the repository (or MERGELANG_BENCH_PEER), or null (the benchmark then says so). */
export function peerDir(root: string): string | null {
  const dir = process.env["MERGELANG_BENCH_PEER"] ?? resolve(root, "..", "shared", "bench");
  return existsSync(join(dir, "torch_ties.py")) ? dir : null;
}

export function torchAvailable(): boolean {
  return spawnSync("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore" }).status === 0;
}

/** Runs a command under /usr/bin/time -f "%e %M" and parses its figures. */
export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Measured {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %M", cmd, ...args], { encoding: "utf8", env, maxBuffer: 64 * 2 ** 20 });
  const m = /TIME ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  return { seconds: Number(m[1]), peakRssMB: Number(m[2]) / 1024, stdout: r.stdout };
}

export function makeBenchModels(peer: string, out: string, shape: string[]): void {
  const r = spawnSync("/usr/bin/python3", [join(peer, "make_bench_models.py"), out, ...shape], { encoding: "utf8", stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new Error("make_bench_models.py failed");
}

export function torchTies(peer: string, models: string, out: string, density: number, variant: "kth" | "mergekit"): Measured & { mergeSeconds: number } {
  const m = timed("/usr/bin/python3", [join(peer, "torch_ties.py"), models, out, String(density), variant]);
  const own = /([\d.]+) s/.exec(m.stdout);
  return { ...m, mergeSeconds: own ? Number(own[1]) : m.seconds };
}
