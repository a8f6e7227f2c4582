/**
 * Interference report speed: the sampled estimate (what the editor runs on every save) and the exact
 * full pass, on a model family folder. `writeSyntheticFamily` makes a Llama-shaped family of any size
 * to run it on (a 1.1B-parameter one with the default shape).
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { f32ToBF16 } from "../src/io/dtype.js";
import { inspectInterference } from "../src/inspect/inspect.js";

export interface InspectBenchResult {
  /** Median of three warm sampled runs. */
  sampledMs: number;
  exactMs: number;
  sampledBytesRead: number;
  exactBytesRead: number;
  parameters: number;
}

/** Times `interference(tasks..., base)` on the folders `modelsDir/<task>` and `modelsDir/<base>`. */
export async function benchInspect(modelsDir: string, tasks: string[], base: string): Promise<InspectBenchResult> {
  const options = { models: tasks.map((t) => join(modelsDir, t)), base: join(modelsDir, base), density: 0.2 };
  const runs: number[] = [];
  let sampledBytesRead = 0;
  for (let r = 0; r < 4; r++) {
    const t0 = performance.now();
    const report = await inspectInterference({ ...options, mode: "sampled" });
    if (r > 0) runs.push(performance.now() - t0); // the first run warms the page cache and the JIT
    sampledBytesRead = report.bytesRead;
  }
  runs.sort((a, b) => a - b);
  const t0 = performance.now();
  const exact = await inspectInterference({ ...options, mode: "exact" });
  const exactMs = performance.now() - t0;
  return {
    sampledMs: runs[1]!,
    exactMs,
    sampledBytesRead,
    exactBytesRead: exact.bytesRead,
    parameters: exact.total.elements,
  };
}

export interface SyntheticShape {
  hidden: number;
  intermediate: number;
  layers: number;
  vocab: number;
  /** Width of the k and v projections (grouped-query attention). */
  kvHidden: number;
}

/** TinyLlama-1.1B's shape. */
export const SHAPE_1B: SyntheticShape = { hidden: 2048, intermediate: 5632, layers: 22, vocab: 32000, kvHidden: 256 };

function llamaTensors(s: SyntheticShape): { name: string; shape: number[] }[] {
  const t: { name: string; shape: number[] }[] = [{ name: "model.embed_tokens.weight", shape: [s.vocab, s.hidden] }];
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}.`;
    t.push(
      { name: `${p}input_layernorm.weight`, shape: [s.hidden] },
      { name: `${p}self_attn.q_proj.weight`, shape: [s.hidden, s.hidden] },
      { name: `${p}self_attn.k_proj.weight`, shape: [s.kvHidden, s.hidden] },
      { name: `${p}self_attn.v_proj.weight`, shape: [s.kvHidden, s.hidden] },
      { name: `${p}self_attn.o_proj.weight`, shape: [s.hidden, s.hidden] },
      { name: `${p}post_attention_layernorm.weight`, shape: [s.hidden] },
      { name: `${p}mlp.gate_proj.weight`, shape: [s.intermediate, s.hidden] },
      { name: `${p}mlp.up_proj.weight`, shape: [s.intermediate, s.hidden] },
      { name: `${p}mlp.down_proj.weight`, shape: [s.hidden, s.intermediate] },
    );
  }
  t.push({ name: "model.norm.weight", shape: [s.hidden] }, { name: "lm_head.weight", shape: [s.vocab, s.hidden] });
  return t;
}

/** Mulberry32 uniforms → standard normals (Box–Muller), for the value pools. */
function normalPool(size: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

/**
 * Writes `dir/base` and `dir/task_0..` as bf16 Llama-shaped folders. Values repeat from pools (with a
 * different offset per tensor) so that writing gigabytes stays fast. Task vectors share a component
 * whose weight grows with depth, so layers differ in cosine and sign conflict as real merges do.
 */
export function writeSyntheticFamily(dir: string, shape: SyntheticShape = SHAPE_1B, tasks = 3): { base: string; tasks: string[] } {
  const tensors = llamaTensors(shape);
  const POOL = 1 << 20;
  const basePool = normalPool(POOL, 1);
  const sharedPool = normalPool(POOL, 2);
  const ownPools = Array.from({ length: tasks }, (_, i) => normalPool(POOL, 10 + i));
  const names = ["base", ...Array.from({ length: tasks }, (_, i) => `task_${i}`)];
  const config = {
    architectures: ["LlamaForCausalLM"], model_type: "llama", hidden_size: shape.hidden,
    intermediate_size: shape.intermediate, num_hidden_layers: shape.layers, vocab_size: shape.vocab, torch_dtype: "bfloat16",
  };
  let offset = 0;
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * 2;
    header[t.name] = { dtype: "BF16", shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const CHUNK = 1 << 20;
  const f32 = new Float32Array(CHUNK);
  const bf16 = new Uint16Array(CHUNK);
  names.forEach((name, m) => {
    const folder = join(dir, name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "config.json"), JSON.stringify(config, null, 2));
    const fd = openSync(join(folder, "model.safetensors"), "w");
    try {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      writeSync(fd, len);
      writeSync(fd, json);
      tensors.forEach((t, ti) => {
        const numel = t.shape.reduce((a, b) => a * b, 1);
        const layer = /layers\.(\d+)\./.exec(t.name);
        const depth = layer ? Number(layer[1]) / Math.max(1, shape.layers - 1) : 0.5;
        const shared = 0.1 + 0.8 * depth;
        const shift = (ti * 7919) % POOL;
        for (let start = 0; start < numel; start += CHUNK) {
          const n = Math.min(CHUNK, numel - start);
          for (let e = 0; e < n; e++) {
            const p = (start + e + shift) & (POOL - 1);
            let v = 0.02 * basePool[p]!;
            if (m > 0) v += 0.002 * (shared * sharedPool[p]! + (1 - shared) * ownPools[m - 1]![(p * 31 + m) & (POOL - 1)]!);
            f32[e] = v;
          }
          f32ToBF16(f32.subarray(0, n), bf16.subarray(0, n));
          writeSync(fd, new Uint8Array(bf16.buffer, 0, n * 2));
        }
      });
    } finally {
      closeSync(fd);
    }
  });
  return { base: "base", tasks: names.slice(1) };
}
