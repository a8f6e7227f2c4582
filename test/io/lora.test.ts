// LoRA adapters in PEFT's layout, written here: W + (alpha / r)·B·A (rsLoRA: alpha / √r), applied as
// the model is read and through the engine, compared with B·A computed independently below.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loraPath, openModel, readModelHeader } from "../../src/io/index.js";
import { randomFloats, safetensorsBytes, tempDir, type RawTensor } from "./build-safetensors.js";
import { formatError } from "./format-error.js";

const ROWS = 6;
const COLS = 5;
const VOCAB = 7;
const RANK = 2;

const f32 = (v: Float32Array): Uint8Array => new Uint8Array(v.buffer.slice(0));

/** A base model: two layers of q/k/v projections [ROWS, COLS], an embedding [VOCAB, COLS]. */
function baseModel(dir: string): Map<string, { shape: number[]; values: Float32Array }> {
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  let seed = 1;
  tensors.set("model.embed_tokens.weight", { shape: [VOCAB, COLS], values: randomFloats(VOCAB * COLS, seed++) });
  for (let l = 0; l < 2; l++) {
    for (const p of ["q_proj", "k_proj", "v_proj"]) tensors.set(`model.layers.${l}.self_attn.${p}.weight`, { shape: [ROWS, COLS], values: randomFloats(ROWS * COLS, seed++) });
  }
  mkdirSync(dir, { recursive: true });
  const raw: RawTensor[] = [...tensors].map(([name, t]) => ({ name, dtype: "F32", shape: t.shape, data: f32(t.values) }));
  writeFileSync(join(dir, "model.safetensors"), safetensorsBytes(raw));
  writeFileSync(join(dir, "config.json"), JSON.stringify({ num_hidden_layers: 2 }));
  return tensors;
}

interface Factors {
  a: Float32Array;
  b: Float32Array;
}

/** An adapter folder in PEFT's layout; returns the factors by module. */
function adapter(dir: string, config: Record<string, unknown>, modules: string[], seed: number, extra: RawTensor[] = []): Map<string, Factors> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "adapter_config.json"), JSON.stringify({ peft_type: "LORA", r: RANK, lora_alpha: 4, target_modules: ["q_proj", "v_proj"], ...config }));
  const factors = new Map<string, Factors>();
  const raw: RawTensor[] = [...extra];
  for (const m of modules) {
    const embedding = m.endsWith("embed_tokens");
    const a = randomFloats(RANK * (embedding ? VOCAB : COLS), seed++);
    const b = randomFloats((embedding ? COLS : ROWS) * RANK, seed++);
    factors.set(m, { a, b });
    const [an, bn] = embedding ? ["lora_embedding_A", "lora_embedding_B"] : ["lora_A.weight", "lora_B.weight"];
    raw.push({ name: `base_model.model.${m}.${an}`, dtype: "F32", shape: [RANK, embedding ? VOCAB : COLS], data: f32(a) });
    raw.push({ name: `base_model.model.${m}.${bn}`, dtype: "F32", shape: [embedding ? COLS : ROWS, RANK], data: f32(b) });
  }
  writeFileSync(join(dir, "adapter_model.safetensors"), safetensorsBytes(raw));
  return factors;
}

/** W + scale·B·A (or its transpose for embeddings), by the definition. */
function expectedWeight(w: Float32Array, f: Factors | undefined, scale: number, embedding: boolean): Float64Array {
  const out = Float64Array.from(w);
  if (!f) return out;
  const [rows, cols] = embedding ? [VOCAB, COLS] : [ROWS, COLS];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      // normal: (B·A)[i][j] = Σ B[i][k]·A[k][j]; embedding: (B·A)ᵀ[i][j] = Σ B[j][k]·A[k][i]
      for (let k = 0; k < RANK; k++) s += embedding ? f.b[j * RANK + k]! * f.a[k * VOCAB + i]! : f.b[i * RANK + k]! * f.a[k * COLS + j]!;
      out[i * cols + j] += scale * s;
    }
  }
  return out;
}

function close(got: Float32Array, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

const MODULES = ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.embed_tokens"];

for (const rslora of [false, true]) {
  test(`a LoRA adapter adds ${rslora ? "alpha/√r" : "alpha/r"} · B·A to the modules it targets, whole tensors and ranges`, () => {
    const dir = tempDir("mergelang-lora-");
    const base = baseModel(join(dir, "base"));
    const factors = adapter(join(dir, "ad"), { use_rslora: rslora, target_modules: ["q_proj", "v_proj", "embed_tokens"] }, MODULES, 100);
    const scale = rslora ? 4 / Math.sqrt(RANK) : 4 / RANK;
    const r = openModel(loraPath(join(dir, "base"), join(dir, "ad")));
    try {
      for (const [name, t] of base) {
        const module = name.replace(/\.weight$/, "");
        const want = expectedWeight(t.values, factors.get(module), scale, module.endsWith("embed_tokens"));
        close(r.readF32Sync(name), want, name);
        // A range that starts and ends inside rows, as the engine's chunks do.
        const part = new Float32Array(9);
        r.readF32IntoSync(name, part, 7, 9);
        close(part, want.subarray(7, 16), `${name}[7..16)`);
      }
      assert.ok(!r.isComputed("model.layers.0.self_attn.k_proj.weight"));
      assert.ok(r.isComputed("model.layers.0.self_attn.q_proj.weight"));
    } finally {
      r.close();
    }
  });
}

test("ties and task arithmetic of two adapters on one base: each model is the base plus its update", () => {
  const dir = tempDir("mergelang-lora-");
  const base = baseModel(join(dir, "base"));
  const fa = adapter(join(dir, "ad_a"), {}, MODULES.slice(0, 2), 200);
  const fb = adapter(join(dir, "ad_b"), {}, MODULES.slice(1, 3), 300);
  writeFileSync(
    join(dir, "r.merge"),
    [
      'base = model("base")',
      'a = model("base", lora: "ad_a")',
      'b = model("base", lora: "ad_b")',
      'save(task_arithmetic(a, b, base: base), "out/ta", dtype: "f32")',
      'save(ties(a, b, base: base, density: 1.0), "out/ties", dtype: "f32")',
      '# the same updates as task vectors',
      'save(base + lora("ad_a", base: base) + lora("ad_b", base: base), "out/deltas", dtype: "f32")',
    ].join("\n"),
  );
  const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
  const run = spawnSync(process.execPath, [cli, "run", "r.merge", "--threads", "2"], { encoding: "utf8", cwd: dir });
  assert.equal(run.status, 0, run.stderr);
  for (const folder of ["ta", "deltas"]) {
  const ta = openModel(join(dir, "out", folder));
  try {
    for (const [name, t] of base) {
      const module = name.replace(/\.weight$/, "");
      const da = expectedWeight(new Float32Array(t.values.length), fa.get(module), 2, false);
      const db = expectedWeight(new Float32Array(t.values.length), fb.get(module), 2, false);
      close(ta.readF32Sync(name), Float64Array.from(t.values, (w, i) => w + da[i]! + db[i]!), name);
    }
  } finally {
    ta.close();
  }
  }
  // With density 1 and one adapter touching a tensor, TIES keeps that adapter's update whole.
  const ties = openModel(join(dir, "out", "ties"));
  try {
    const name = "model.layers.0.self_attn.q_proj.weight";
    close(ties.readF32Sync(name), expectedWeight(base.get(name)!.values, fa.get("model.layers.0.self_attn.q_proj"), 2, false), name);
  } finally {
    ties.close();
  }
});


test("DoRA adapters and modules the base lacks are errors naming the module", () => {
  const dir = tempDir("mergelang-lora-");
  baseModel(join(dir, "base"));
  adapter(join(dir, "dora"), { use_dora: true }, MODULES.slice(0, 1), 1);
  assert.match(formatError(() => readModelHeader(loraPath(join(dir, "base"), join(dir, "dora")))).message, /DoRA/);
  const magnitude: RawTensor = { name: "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", dtype: "F32", shape: [ROWS], data: f32(new Float32Array(ROWS)) };
  adapter(join(dir, "dora2"), {}, MODULES.slice(0, 1), 1, [magnitude]);
  assert.match(formatError(() => readModelHeader(loraPath(join(dir, "base"), join(dir, "dora2")))).message, /DoRA.*model\.layers\.0\.self_attn\.q_proj/);
  adapter(join(dir, "extra"), {}, ["model.layers.7.self_attn.q_proj"], 1);
  const e = formatError(() => readModelHeader(loraPath(join(dir, "base"), join(dir, "extra"))));
  assert.equal(e.code, "lora-invalid");
  assert.match(e.message, /module model\.layers\.7\.self_attn\.q_proj, which .*base does not have/);
  adapter(join(dir, "untargeted"), { target_modules: ["v_proj"] }, MODULES.slice(0, 1), 1);
  assert.match(formatError(() => readModelHeader(loraPath(join(dir, "base"), join(dir, "untargeted")))).message, /target_modules/);
});
