/**
 * Whole merges of bf16 models through `mergelang run`: the WASM SIMD kernels (one thread, three
 * threads) write the same bytes as the JavaScript kernels (MERGELANG_WASM=0, one thread).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openModel } from "../../src/io/index.js";
import { writeModel, type TestTensor } from "./models.js";
import { awkward, normals } from "./random.js";
import { tempDir } from "../support/temp-dir.js";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** Tensors across several 32768-element segments, a ragged one, and a small one. */
function tensors(seed: number, base?: TestTensor[]): TestTensor[] {
  const shapes: [string, number[]][] = [["model.layers.0.mlp.up_proj.weight", [300, 401]], ["model.layers.1.self_attn.q_proj.weight", [257, 255]], ["model.norm.weight", [37]]];
  return shapes.map(([name, shape], i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = base ? Float32Array.from(base[i]!.data as Float32Array) : normals(n, seed + i, 0.02);
    if (base) {
      const d = i === 0 ? awkward(n, seed * 7 + i) : normals(n, seed * 7 + i, 2e-3);
      for (let j = 0; j < n; j++) data[j]! += d[j]!;
    }
    return { name, shape, data };
  });
}

const RECIPES: Record<string, string> = {
  ties: 'ties(t0, t1, t2, base: base, density: 0.2)',
  "ties-global-weighted": 'ties(t0, t1, t2, base: base, density: [0.1, 0.3, 0.2], weights: [1, 0.5, 2], lambda: 0.8, scope: "global")',
  "ties-count": 'ties(t0, t1, t2, base: base, density: 0.5, consensus: "count", normalize: false)',
  "dare-ties": 'dare(t0, t1, t2, base: base, density: 0.5, consensus: "sum", normalize: true)',
  breadcrumbs: 'breadcrumbs(t0, t1, t2, base: base, density: 0.9, gamma: 0.01, consensus: "sum")',
  pcb: 'pcb(t0, t1, t2, base: base, ratio: 0.1)',
};

/** The stored bytes of every tensor of a model folder (the header's metadata names the output path). */
async function tensorBytes(folder: string): Promise<Map<string, Buffer>> {
  const reader = openModel(folder);
  const out = new Map<string, Buffer>();
  for (const name of reader.header.tensors.keys()) out.set(name, Buffer.from(await reader.readRaw(name)));
  reader.close();
  return out;
}

function runRecipe(dir: string, name: string, call: string, out: string, env: NodeJS.ProcessEnv, threads: number): Promise<Map<string, Buffer>> {
  const file = join(dir, `${name}-${out}.merge`);
  writeFileSync(file, [
    `base = model("${join(dir, "base")}")`,
    ...[0, 1, 2].map((i) => `t${i} = model("${join(dir, `t${i}`)}")`),
    `save(${call}, "${join(dir, "out", name, out)}", dtype: "bf16")`,
  ].join("\n"));
  const r = spawnSync(process.execPath, [cli, "run", "--threads", String(threads), file], { encoding: "utf8", env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return tensorBytes(join(dir, "out", name, out));
}

test("WASM kernels on one and three threads write the bytes the JavaScript kernels write", async () => {
  const dir = tempDir("mergelang-simd-");
  const base = tensors(1);
  await writeModel(join(dir, "base"), base, "bf16");
  for (let i = 0; i < 3; i++) await writeModel(join(dir, `t${i}`), tensors(10 + i, base), "bf16");
  for (const [name, call] of Object.entries(RECIPES)) {
    const reference = await runRecipe(dir, name, call, "js", { MERGELANG_WASM: "0" }, 1);
    assert.equal(reference.size, 3);
    for (const threads of [1, 3]) {
      const simd = await runRecipe(dir, name, call, `wasm-${threads}`, {}, threads);
      assert.deepEqual([...simd.keys()], [...reference.keys()]);
      for (const [tensor, bytes] of reference) assert.ok(bytes.equals(simd.get(tensor)!), `${name}, ${threads} thread(s): ${tensor} differs`);
    }
  }
});
