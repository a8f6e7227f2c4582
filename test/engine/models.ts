/** Writing small test models with the project's own writer. */
import type { DType, OutputDType } from "../../src/io/index.js";
import { ModelWriter } from "../../src/io/index.js";

export interface TestTensor {
  name: string;
  shape: number[];
  /** Float data, or the raw bytes of a non-float tensor. */
  data: Float32Array | Uint8Array;
  /** For raw tensors: their dtype. */
  dtype?: DType;
}

/** `allowNonFinite`: write NaN and ±Inf (a broken model, for the tests that must refuse one). */
export async function writeModel(dir: string, tensors: TestTensor[], dtype: OutputDType = "f32", layers = 2, allowNonFinite = false): Promise<void> {
  const writer = await ModelWriter.create({
    path: dir,
    dtype,
    shardSize: 1e9,
    tensors: tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype ?? "F32" })),
    metadata: {},
    allowNonFinite,
  });
  for (const t of tensors) {
    if (t.data instanceof Float32Array) await writer.writeF32(t.name, t.data);
    else await writer.writeRaw(t.name, t.data);
  }
  await writer.writeText("config.json", JSON.stringify({ model_type: "llama", num_hidden_layers: layers, torch_dtype: "float32" }));
  await writer.commit();
}
