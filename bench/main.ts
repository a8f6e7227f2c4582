/**
 * `npm run bench`: every speed and memory figure the project tracks, on this machine, with the
 * PyTorch peer measured in the same run where it is available (../shared/bench + python3-torch).
 *   MERGELANG_BENCH=language,engine,methods,inspect,lsp  picks sections (default: all);
 *   MERGELANG_BENCH_DIR (default /tmp/mergelang-bench) holds the generated models and outputs.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchLanguage } from "./language.js";
import { benchEngine } from "./engine.js";
import { benchInspect } from "./inspect.js";
import { benchMethods, formatRow, growthLines } from "./methods.js";
import { peerDir, torchAvailable } from "./peer.js";
import { loadavg } from "node:os";

function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "src"))) return dir;
  }
  return process.cwd();
}

const sections = new Set((process.env["MERGELANG_BENCH"] ?? "language,engine,methods,inspect,lsp").split(",").map((s) => s.trim()));
const work = process.env["MERGELANG_BENCH_DIR"] ?? "/tmp/mergelang-bench";
const root = repoRoot();
const ms = (x: number): string => `${x.toFixed(1)} ms`;

async function main(): Promise<void> {
  if (sections.has("language")) {
    const r = benchLanguage(join(root, "test", "fixtures", "reference", "models", "tiny_f32"));
    console.log(`language: parse + check of a generated ${r.lines}-line recipe: cold ${ms(r.coldMs)}, warm (after 5 unmeasured runs, 30 runs) median ${ms(r.warmMedianMs)}, p95 ${ms(r.warmP95Ms)} (target: warm < 100 ms)`);
  }
  let tiesSeconds: number | null = null;
  if (sections.has("engine")) {
    const r = await benchEngine(root, work);
    if (typeof r === "string") console.log(`engine: ${r}`);
    else {
      tiesSeconds = r.tensorScope.seconds;
      console.log(`engine: TIES per tensor, 3 tasks, density 0.2, ${(r.parameters / 1e6).toFixed(0)}M parameters per model (bf16)`);
      console.log(`  PyTorch kth:        ${r.torch.seconds.toFixed(2)} s wall (merge ${r.torch.mergeSeconds.toFixed(2)} s), peak RSS ${r.torch.peakRssMB.toFixed(0)} MB`);
      console.log(`  mergelang tensor:   ${r.tensorScope.seconds.toFixed(2)} s wall, peak RSS ${r.tensorScope.peakRssMB.toFixed(0)} MB  → ${(r.tensorScope.seconds / r.torch.seconds).toFixed(3)} × PyTorch's time (target ≤ 0.1), ${(r.tensorScope.peakRssMB / r.torch.peakRssMB).toFixed(2)} × its memory (target ≤ 0.5)`);
      console.log(`  mergelang global:   ${r.globalScope.seconds.toFixed(2)} s wall, peak RSS ${r.globalScope.peakRssMB.toFixed(0)} MB  → ${(r.globalScope.seconds / r.tensorScope.seconds).toFixed(2)} × tensor scope (target ≤ 1.3)`);
      console.log(`  bf16 output vs PyTorch: ${r.identical.differing} of ${r.identical.tensors} tensors differ (largest difference ${r.identical.maxUlp} bf16 steps)`);
    }
  }
  if (sections.has("methods")) {
    const peer = peerDir(root);
    if (!peer) console.log("methods: the PyTorch peer (../shared/bench) is not here: skipped");
    else if (!torchAvailable()) console.log("methods: PyTorch is not installed (apt-get install -y python3-torch): skipped");
    else {
      console.log(`methods: mergelang ÷ PyTorch, 3 tasks, bf16 (targets: TIES time ≤ 0.1 ×, RSS ≤ 0.5 ×; others < 1 ×); load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
      const rows = benchMethods(peer, work, (row) => console.log(formatRow(row)));
      const growth = growthLines(rows);
      if (growth.length > 0) console.log(["  cost per parameter from the small family to the large one (1.00 × is flat):", ...growth].join("\n"));
      console.log(`  load average at the end ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    }
  }
  if (sections.has("inspect")) {
    const models = join(work, "m200");
    if (existsSync(join(models, "base"))) {
      const r = await benchInspect(models, ["task0", "task1", "task2"], "base");
      console.log(`inspect: sampled estimate ${ms(r.sampledMs)} (target < 500 ms), exact ${ms(r.exactMs)}${tiesSeconds ? ` = ${(r.exactMs / 1000 / tiesSeconds).toFixed(2)} × the TIES merge (target < 2)` : ""}`);
    } else console.log("inspect: the 160M benchmark models are not there (they come with the engine section): skipped");
  }
  if (sections.has("lsp")) {
    try {
      const lsp = (await import("./lsp.js")) as { benchLsp?: () => Promise<Record<string, number>> };
      if (lsp.benchLsp) {
        const r = await lsp.benchLsp();
        console.log(`lsp: ${Object.entries(r).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")}`);
      }
    } catch (e) {
      console.log(`lsp: ${(e as Error).message}`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
