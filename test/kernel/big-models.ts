/** Models large enough that a merge takes a moment (for interrupting one), written fast with a cheap PRNG. */
import { join } from "node:path";
import { ModelWriter } from "../../src/io/index.js";

export async function writeBigFamily(dir: string, options: { layers?: number; width?: number; models?: string[] } = {}): Promise<string[]> {
  const layers = options.layers ?? 8;
  const width = options.width ?? 1024;
  const names = options.models ?? ["base", "task_a", "task_b"];
  const tensors = Array.from({ length: layers }, (_, l) => ({ name: `model.layers.${l}.mlp.up_proj.weight`, shape: [width, width], dtype: "F32" as const }));
  const written: string[] = [];
  for (let m = 0; m < names.length; m++) {
    const path = join(dir, names[m]!);
    const writer = await ModelWriter.create({ path, dtype: "f32", shardSize: 5e9, tensors, metadata: { generator: "mergelang kernel tests" } });
    let state = 12345 + m * 7919;
    for (const t of tensors) {
      const data = new Float32Array(width * width);
      for (let i = 0; i < data.length; i++) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        data[i] = (state / 4294967296 - 0.5) * 0.02;
      }
      await writer.writeF32(t.name, data);
    }
    await writer.writeText("config.json", JSON.stringify({ model_type: "llama", num_hidden_layers: layers }) + "\n");
    await writer.commit();
    written.push(path);
  }
  return written;
}
