/**
 * Small Llama-shaped model families for the demo, the notebooks and the tests: a base and several
 * "fine-tuned" variants whose task vectors are heavy-tailed (so trimming matters), concentrated in
 * different layers per task, and partly conflicting in sign (so TIES and PCB have something to resolve).
 * Written with the project's own writer; seeded, so every run writes the same bytes.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ModelWriter, type OutputDType } from "../io/index.js";
import { Random } from "../util/random.js";

export interface FamilySpec {
  name: string;
  hidden: number;
  layers: number;
  intermediate: number;
  vocab: number;
  tasks: string[];
  dtype: OutputDType;
  seed: number;
}

export const EXAMPLE_FAMILY: FamilySpec = {
  name: "llama-mini",
  hidden: 64,
  layers: 6,
  intermediate: 176,
  vocab: 512,
  tasks: ["math", "code", "chat"],
  dtype: "bf16",
  seed: 20261123,
};

export function llamaShapes(f: FamilySpec): [string, number[]][] {
  const h = f.hidden;
  const out: [string, number[]][] = [["model.embed_tokens.weight", [f.vocab, h]]];
  for (let i = 0; i < f.layers; i++) {
    const p = `model.layers.${i}.`;
    out.push(
      [p + "self_attn.q_proj.weight", [h, h]],
      [p + "self_attn.k_proj.weight", [h, h]],
      [p + "self_attn.v_proj.weight", [h, h]],
      [p + "self_attn.o_proj.weight", [h, h]],
      [p + "mlp.gate_proj.weight", [f.intermediate, h]],
      [p + "mlp.up_proj.weight", [f.intermediate, h]],
      [p + "mlp.down_proj.weight", [h, f.intermediate]],
      [p + "input_layernorm.weight", [h]],
      [p + "post_attention_layernorm.weight", [h]],
    );
  }
  out.push(["model.norm.weight", [h]], ["lm_head.weight", [f.vocab, h]]);
  return out;
}

function llamaConfig(f: FamilySpec): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: f.hidden,
    intermediate_size: f.intermediate,
    num_hidden_layers: f.layers,
    num_attention_heads: 4,
    num_key_value_heads: 4,
    vocab_size: f.vocab,
    max_position_embeddings: 512,
    rms_norm_eps: 1e-5,
    tie_word_embeddings: false,
    torch_dtype: { bf16: "bfloat16", f16: "float16", f32: "float32" }[f.dtype],
  };
}

const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** How strongly task `t` changes layer `layer` (each task focuses on its own band of layers). */
function focus(taskIndex: number, taskCount: number, layer: number | null, layers: number): number {
  if (layer === null) return 0.5;
  const center = ((taskIndex + 0.5) / taskCount) * layers;
  const d = (layer - center) / Math.max(1, layers / taskCount);
  return 0.35 + Math.exp(-d * d);
}

/** Writes `dir/<family>/{base, task...}`; returns the folder. Existing complete folders are kept. */
export async function generateExampleModels(dir: string, f: FamilySpec = EXAMPLE_FAMILY): Promise<string> {
  const root = join(dir, f.name);
  const shapes = llamaShapes(f);
  const names = ["base", ...f.tasks];
  const base = new Map<string, Float32Array>();
  const rng = new Random(f.seed);
  for (const [name, shape] of shapes) {
    const data = new Float32Array(numel(shape));
    const norm = name.endsWith("layernorm.weight") || name === "model.norm.weight";
    for (let i = 0; i < data.length; i++) data[i] = norm ? 1 + 0.01 * rng.normal() : 0.02 * rng.normal();
    base.set(name, data);
  }
  // A direction all tasks share a little of, so their task vectors are neither identical nor orthogonal.
  const shared = new Map<string, Float32Array>();
  for (const [name, shape] of shapes) {
    const data = new Float32Array(numel(shape));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal();
    shared.set(name, data);
  }
  for (let m = 0; m < names.length; m++) {
    const folder = join(root, names[m]!);
    if (existsSync(join(folder, "config.json"))) continue;
    const taskRng = new Random(f.seed + 1000 * (m + 1));
    const writer = await ModelWriter.create({
      path: folder,
      dtype: f.dtype,
      shardSize: 2e6,
      tensors: shapes.map(([name, shape]) => ({ name, shape, dtype: f.dtype === "bf16" ? "BF16" : f.dtype === "f16" ? "F16" : "F32" })),
      metadata: { format: "pt", generator: "mergelang demo", model: names[m]! },
    });
    try {
      for (const [name, shape] of shapes) {
        const b = base.get(name)!;
        const out = new Float32Array(b.length);
        if (m === 0) out.set(b);
        else {
          const layerMatch = /layers\.(\d+)\./.exec(name);
          const strength = 0.004 * focus(m - 1, f.tasks.length, layerMatch ? Number(layerMatch[1]) : null, f.layers);
          const s = shared.get(name)!;
          for (let i = 0; i < out.length; i++) {
            // Heavy-tailed deltas: most entries tiny, a few large (what makes trimming worthwhile).
            const own = taskRng.normal() * Math.exp(0.9 * taskRng.normal());
            out[i] = b[i]! + strength * (0.8 * own + 0.45 * s[i]!);
          }
        }
        void shape;
        await writer.writeF32(name, out);
      }
      await writer.writeText("config.json", JSON.stringify(llamaConfig(f), null, 2) + "\n");
      await writer.writeText("tokenizer_config.json", JSON.stringify({ model_max_length: 512, bos_token: "<s>", eos_token: "</s>", tokenizer_class: "LlamaTokenizer" }, null, 2) + "\n");
      await writer.writeText("special_tokens_map.json", JSON.stringify({ bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>" }, null, 2) + "\n");
      await writer.writeText("generation_config.json", JSON.stringify({ bos_token_id: 1, eos_token_id: 2 }, null, 2) + "\n");
      await writer.commit();
    } catch (e) {
      await writer.abort();
      throw e;
    }
  }
  return root;
}
