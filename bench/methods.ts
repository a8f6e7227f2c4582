/**
 * Every merge method against a PyTorch peer on the same models in the same run, as ratios: wall time
 * and peak RSS of the whole process (/usr/bin/time), for each model family (160M and TinyLlama's
 * 1.1B shape, bf16, 3 tasks). TIES per tensor runs ../shared/bench/torch_ties.py's `kth` variant (the
 * fastest PyTorch TIES known); the other peers are bench/peers/torch_merge.py.
 *   MERGELANG_BENCH_FAMILIES=160m,1.1b   MERGELANG_BENCH_METHODS=ties,pcb,...   pick rows (tsv, iso_c and
 *   iso_cts, the whole-model spectral rows, run only when named).
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readModelHeader } from "../src/io/index.js";
import { makeBenchModels, timed, type Measured } from "./peer.js";

export interface Family {
  name: string;
  dir: string;
  shape: string[];
}

export const FAMILIES: Family[] = [
  { name: "160m", dir: "m200", shape: ["1024", "8", "2816", "32000", "3", "500"] },
  { name: "1.1b", dir: "m1100", shape: ["2048", "22", "5632", "32000", "3", "1000"] },
];

interface MethodCase {
  name: string;
  /** The merge call on `tasks` (names of the task models) and `base`. */
  call(tasks: string[]): string;
  /** The peer's method name for torch_merge.py, "torch_ties" for ../shared/bench's kth TIES, or null: none. */
  peer: string | null;
  /** Runs only when MERGELANG_BENCH_METHODS names it (the spectral methods take minutes per family). */
  optIn?: boolean;
  /** The peer flattens the whole model (memory: several float32 copies of every task vector). */
  flattens?: boolean;
}

const list = (tasks: string[]): string => tasks.join(", ");

export const METHODS: MethodCase[] = [
  { name: "ties", peer: "torch_ties", call: (t) => `ties(${list(t)}, base: base, density: 0.2)` },
  { name: "ties-global", peer: "ties-global", flattens: true, call: (t) => `ties(${list(t)}, base: base, density: 0.2, scope: "global")` },
  { name: "pcb", peer: "pcb", call: (t) => `pcb(${list(t)}, base: base, ratio: 0.1, clip: 0.0001)` },
  { name: "pcb-global", peer: "pcb-global", flattens: true, call: (t) => `pcb(${list(t)}, base: base, ratio: 0.1, clip: 0.0001, scope: "global")` },
  { name: "dare-ties", peer: "dare-ties", call: (t) => `dare(${list(t)}, base: base, density: 0.5, consensus: "sum", normalize: true)` },
  { name: "della", peer: "della", call: (t) => `della(${list(t)}, base: base, density: 0.5, epsilon: 0.15)` },
  { name: "breadcrumbs", peer: "breadcrumbs", call: (t) => `breadcrumbs(${list(t)}, base: base, density: 0.9, gamma: 0.01)` },
  { name: "slerp", peer: "slerp", call: (t) => `slerp(${t[0]}, ${t[1]}, t: 0.5)` },
  { name: "model-stock", peer: "model-stock", call: (t) => `model_stock(${list(t)}, base: base)` },
  // The spectral methods' whole-model time (docs/spectral.md); their authors' code is PyTorch research
  // code (FusionBench) that ../shared/bench does not have, so there is no peer row.
  { name: "tsv", peer: null, optIn: true, call: (t) => `tsv(${list(t)}, base: base)` },
  { name: "iso_c", peer: null, optIn: true, call: (t) => `iso_c(${list(t)}, base: base)` },
  { name: "iso_cts", peer: null, optIn: true, call: (t) => `iso_cts(${list(t)}, base: base)` },
];

export interface MethodRow {
  family: string;
  parameters: number;
  method: string;
  torch: Measured | string;
  ours: Measured;
}

const cli = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const peers = fileURLToPath(new URL("../../bench/peers/torch_merge.py", import.meta.url));

function recipe(models: string, out: string, m: MethodCase): string {
  const tasks = readdirSync(models).filter((n) => n.startsWith("task")).sort();
  return [
    `base = model("${join(models, "base")}")`,
    ...tasks.map((t) => `${t} = model("${join(models, t)}")`),
    `merged = ${m.call(tasks)}`,
    `save(merged, "${out}", dtype: "bf16", shard_size: "1GB")`,
  ].join("\n");
}

/** Bytes of float32 task vectors a flattening peer holds at once (a few copies of n × d). */
function flattenedBytes(parameters: number, tasks: number): number {
  return 3 * 4 * parameters * tasks;
}

/** MemAvailable (what a process can take; os.freemem() counts the page cache as used). */
function availableMemoryBytes(): number {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync("/proc/meminfo", "utf8"));
    return m ? Number(m[1]) * 1024 : Infinity;
  } catch {
    return Infinity;
  }
}

export function benchMethods(peer: string, work: string, onRow: (row: MethodRow) => void): MethodRow[] {
  const families = new Set((process.env["MERGELANG_BENCH_FAMILIES"] ?? "160m,1.1b").split(","));
  const methods = new Set((process.env["MERGELANG_BENCH_METHODS"] ?? METHODS.filter((m) => !m.optIn).map((m) => m.name).join(",")).split(","));
  const rows: MethodRow[] = [];
  for (const family of FAMILIES.filter((f) => families.has(f.name))) {
    const models = join(work, family.dir);
    makeBenchModels(peer, models, family.shape);
    const parameters = readModelHeader(join(models, "base")).parameterCount;
    const tasks = readdirSync(models).filter((n) => n.startsWith("task")).length;
    for (const m of METHODS.filter((x) => methods.has(x.name))) {
      const torchOut = join(work, `out-torch-${m.name}`);
      const ourOut = join(work, `out-mergelang-${m.name}`);
      rmSync(torchOut, { recursive: true, force: true });
      let torch: Measured | string;
      if (m.peer === null) {
        torch = "no PyTorch peer (the authors' code is not in ../shared/bench)";
      } else if (m.flattens && flattenedBytes(parameters, tasks) > 0.8 * availableMemoryBytes()) {
        torch = `peer skipped: flattening ${tasks} task vectors needs about ${(flattenedBytes(parameters, tasks) / 2 ** 30).toFixed(0)} GiB`;
      } else if (m.peer === "torch_ties") {
        torch = timed("/usr/bin/python3", [join(peer, "torch_ties.py"), models, torchOut, "0.2", "kth"]);
      } else {
        torch = timed("/usr/bin/python3", [peers, peer, models, torchOut, m.peer]);
      }
      rmSync(torchOut, { recursive: true, force: true });
      mkdirSync(work, { recursive: true });
      const file = join(work, `${m.name}.merge`);
      writeFileSync(file, recipe(models, ourOut, m));
      const ours = timed(process.execPath, [cli, "run", file]);
      rmSync(ourOut, { recursive: true, force: true });
      const row = { family: family.name, parameters, method: m.name, torch, ours };
      rows.push(row);
      onRow(row);
    }
  }
  return rows;
}

/** One line of the ratio table. */
export function formatRow(r: MethodRow): string {
  const perElement = (s: number): string => `${((s * 1e9) / r.parameters).toFixed(1)} ns/param`;
  const ours = `${r.ours.seconds.toFixed(2)} s ${r.ours.peakRssMB.toFixed(0)} MB (${perElement(r.ours.seconds)})`;
  if (typeof r.torch === "string") return `  ${r.family.padEnd(5)} ${r.method.padEnd(12)} mergelang ${ours}; ${r.torch}`;
  const t = r.torch;
  return `  ${r.family.padEnd(5)} ${r.method.padEnd(12)} time ${(r.ours.seconds / t.seconds).toFixed(3)} ×, peak RSS ${(r.ours.peakRssMB / t.peakRssMB).toFixed(2)} ×   (mergelang ${ours}; PyTorch ${t.seconds.toFixed(2)} s ${t.peakRssMB.toFixed(0)} MB)`;
}

/**
 * How each method's cost per parameter grows from the smallest family to the largest in `rows`:
 * time and peak RSS per parameter at the large one ÷ at the small one (1.0: flat), for mergelang and
 * PyTorch. Empty with fewer than two families.
 */
export function growthLines(rows: readonly MethodRow[]): string[] {
  const names = [...new Set(rows.map((r) => r.family))];
  if (names.length < 2) return [];
  const small = names[0]!;
  const large = names[names.length - 1]!;
  const lines: string[] = [];
  for (const method of new Set(rows.map((r) => r.method))) {
    const a = rows.find((r) => r.method === method && r.family === small);
    const b = rows.find((r) => r.method === method && r.family === large);
    if (!a || !b) continue;
    const growth = (x: Measured, y: Measured): string => {
      const time = y.seconds / b.parameters / (x.seconds / a.parameters);
      const rss = y.peakRssMB / b.parameters / (x.peakRssMB / a.parameters);
      return `time/param ${time.toFixed(2)} ×, peak RSS/param ${rss.toFixed(2)} ×`;
    };
    const torch = typeof a.torch !== "string" && typeof b.torch !== "string" ? `; PyTorch ${growth(a.torch, b.torch)}` : "";
    lines.push(`  ${method.padEnd(12)} ${small} → ${large} (${(b.parameters / a.parameters).toFixed(1)} × the parameters): mergelang ${growth(a.ours, b.ours)}${torch}`);
  }
  return lines;
}
