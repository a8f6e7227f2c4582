/**
 * TIES per tensor (3 tasks, density 0.2) on the 160M-parameter bf16 models, against the PyTorch `kth`
 * peer measured in the same run: wall time, peak RSS, and whether the bf16 outputs are identical.
 * Also `scope: "global"`, which should stay within 1.3 × of the tensor scope.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openModel, readModelHeader, ModelReader } from "../src/io/index.js";
import { makeBenchModels, peerDir, timed, torchAvailable, torchTies, type Measured } from "./peer.js";

export interface EngineBench {
  models: string;
  parameters: number;
  torch: Measured & { mergeSeconds: number };
  tensorScope: Measured;
  globalScope: Measured;
  identical: { tensors: number; differing: number; maxUlp: number };
}

const cli = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

function recipe(models: string, out: string, scope: "tensor" | "global"): string {
  const tasks = readdirSync(models).filter((n) => n.startsWith("task")).sort();
  return [
    `base = model("${join(models, "base")}")`,
    ...tasks.map((t) => `${t} = model("${join(models, t)}")`),
    `merged = ties(${tasks.join(", ")}, base: base, density: 0.2, lambda: 1.0, scope: "${scope}")`,
    `save(merged, "${out}", dtype: "bf16", shard_size: "1GB")`,
  ].join("\n");
}

/** Compares two bf16 outputs tensor by tensor, bit for bit (reporting the largest difference in bf16 steps). */
async function compareOutputs(ours: string, theirs: string): Promise<EngineBench["identical"]> {
  const a = openModel(ours);
  const files = readdirSync(theirs).filter((f) => f.endsWith(".safetensors"));
  let tensors = 0;
  let differing = 0;
  let maxUlp = 0;
  for (const f of files) {
    const b = new ModelReader(readModelHeader(join(theirs, f)));
    for (const name of b.header.tensors.keys()) {
      const x = new Uint16Array((await a.readRaw(name)).slice().buffer);
      const y = new Uint16Array((await b.readRaw(name)).slice().buffer);
      tensors++;
      let diff = false;
      for (let i = 0; i < x.length; i++) {
        if (x[i] !== y[i]) {
          diff = true;
          const ulp = Math.abs(((x[i]! << 16) >> 16) - ((y[i]! << 16) >> 16));
          if (ulp > maxUlp) maxUlp = ulp;
        }
      }
      if (diff) differing++;
    }
    b.close();
  }
  a.close();
  return { tensors, differing, maxUlp };
}

export async function benchEngine(root: string, work = "/tmp/mergelang-bench"): Promise<EngineBench | string> {
  const peer = peerDir(root);
  if (!peer) return "the PyTorch peer (../shared/bench) is not here: engine benchmark skipped";
  if (!torchAvailable()) return "PyTorch is not installed (apt-get install -y python3-torch): engine benchmark skipped";
  const models = join(work, "m200");
  makeBenchModels(peer, models, ["1024", "8", "2816", "32000", "3", "500"]);
  const header = readModelHeader(join(models, "base"));
  const torchOut = join(work, "out-torch");
  rmSync(torchOut, { recursive: true, force: true });
  const torch = torchTies(peer, models, torchOut, 0.2, "kth");
  const run = (scope: "tensor" | "global"): Measured => {
    const out = join(work, `out-mergelang-${scope}`);
    const file = join(work, `ties-${scope}.merge`);
    mkdirSync(work, { recursive: true });
    writeFileSync(file, recipe(models, out, scope));
    return timed(process.execPath, [cli, "run", file]);
  };
  const tensorScope = run("tensor");
  const globalScope = run("global");
  const identical = await compareOutputs(join(work, "out-mergelang-tensor"), torchOut);
  return { models, parameters: header.parameterCount, torch, tensorScope, globalScope, identical };
}
