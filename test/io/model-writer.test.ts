import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fixturesDir } from "../support/paths.js";
import { bf16ToF32, f16ToF32, f32ToBF16, f32ToF16 } from "../../src/io/dtype.js";
import { readModelHeader } from "../../src/io/model-header.js";
import { openModel } from "../../src/io/model-reader.js";
import { ModelWriter, ModelWriteError, type OutputTensor } from "../../src/io/model-writer.js";
import { randomFloats, tempDir } from "./build-safetensors.js";

const TENSORS: OutputTensor[] = [
  { name: "model.embed_tokens.weight", shape: [16, 8], dtype: "F32" },
  { name: "model.layers.0.mlp.up_proj.weight", shape: [8, 8], dtype: "BF16" },
  { name: "model.layers.0.position_ids", shape: [5], dtype: "I64" },
  { name: "model.norm.weight", shape: [8], dtype: "F32" },
];

function dataFor(t: OutputTensor, seed: number): Float32Array {
  return randomFloats(t.shape.reduce((a, b) => a * b, 1), seed, 3);
}

const I64_BYTES = new Uint8Array(new BigInt64Array([0n, 1n, -2n, 3n, 9007199254740993n]).buffer);

/** Writes TENSORS (float data from dataFor, the I64 tensor raw) and returns what was written. */
async function writeAll(w: ModelWriter): Promise<Map<string, Float32Array>> {
  const written = new Map<string, Float32Array>();
  for (const [i, t] of TENSORS.entries()) {
    if (t.dtype === "I64") {
      await w.writeRaw(t.name, I64_BYTES);
      continue;
    }
    const data = dataFor(t, i + 1);
    written.set(t.name, data);
    await w.writeF32(t.name, data);
  }
  return written;
}

/** What reading a value stored as `dtype` must give back. */
function rounded(data: Float32Array, dtype: "bf16" | "f16" | "f32"): Float32Array {
  if (dtype === "f32") return data;
  const bits = new Uint16Array(data.length);
  const out = new Float32Array(data.length);
  if (dtype === "bf16") {
    f32ToBF16(data, bits);
    bf16ToF32(bits, out);
  } else {
    f32ToF16(data, bits);
    f16ToF32(bits, out);
  }
  return out;
}

for (const dtype of ["f32", "bf16", "f16"] as const) {
  test(`round trip: write ${dtype} and read back`, async () => {
    const out = join(tempDir(), "merged");
    const w = await ModelWriter.create({ path: out, dtype, shardSize: 1e9, tensors: TENSORS, metadata: { mergelang_recipe_hash: "abc123" } });
    const written = await writeAll(w);
    const result = await w.commit();
    assert.equal(result.path, out);
    assert.deepEqual(result.files, [join(out, "model.safetensors")]);
    assert.equal(result.bytes, statSync(join(out, "model.safetensors")).size);
    assert.deepEqual(readdirSync(out), ["model.safetensors"]);

    const h = readModelHeader(out);
    assert.deepEqual([...h.tensors.keys()], TENSORS.map((t) => t.name));
    const stored = dtype === "f32" ? "F32" : dtype === "bf16" ? "BF16" : "F16";
    assert.equal(h.tensors.get("model.embed_tokens.weight")!.dtype, stored);
    assert.equal(h.tensors.get("model.layers.0.mlp.up_proj.weight")!.dtype, stored);
    assert.equal(h.tensors.get("model.layers.0.position_ids")!.dtype, "I64");
    assert.deepEqual(h.metadata, { format: "pt", mergelang_recipe_hash: "abc123" });
    // The header is padded to 8 bytes so tensor data stays aligned.
    assert.equal(h.tensors.get("model.embed_tokens.weight")!.byteOffset % 8, 0);

    const r = openModel(out);
    try {
      for (const [name, data] of written) {
        assert.deepEqual(Array.from(await r.readF32(name)), Array.from(rounded(data, dtype)), name);
      }
      assert.deepEqual(Array.from(await r.readRaw("model.layers.0.position_ids")), Array.from(I64_BYTES));
    } finally {
      r.close();
    }
  });
}

test("bf16 output rounds to nearest even and keeps NaN/Inf", async () => {
  const out = join(tempDir(), "m");
  const w = await ModelWriter.create({ path: out, dtype: "bf16", shardSize: 1e9, tensors: [{ name: "x", shape: [5], dtype: "F32" }], metadata: {}, allowNonFinite: true });
  const bits = new Uint32Array([0x3f808000, 0x3f818000, 0x7f7fffff, 0x7fc00000, 0xff800000]);
  await w.writeF32("x", new Float32Array(bits.buffer));
  await w.commit();
  const r = openModel(out);
  const raw = new Uint16Array(new Uint8Array(r.readRawSync("x")).buffer);
  r.close();
  assert.deepEqual(Array.from(raw), [0x3f80, 0x3f82, 0x7f80, 0x7fc0, 0xff80]);
});

test("tensors written in row chunks equal one whole write, across tiny staging buffers", async () => {
  const out = join(tempDir(), "chunks");
  const tensors: OutputTensor[] = [
    { name: "flag", shape: [3], dtype: "BOOL" }, // odd byte count: the next float write must realign
    { name: "emb", shape: [10, 7], dtype: "F32" },
  ];
  const w = await ModelWriter.create({ path: out, dtype: "bf16", shardSize: 1e9, tensors, metadata: {}, bufferBytes: 64 });
  await w.writeRaw("flag", new Uint8Array([1, 0, 1]));
  const emb = randomFloats(70, 9);
  await w.writeF32("emb", emb.subarray(0, 21), 0);
  await w.writeF32("emb", emb.subarray(21, 42), 21);
  await w.writeF32("emb", emb.subarray(42)); // offset defaults to where the last chunk ended
  await w.commit();
  const r = openModel(out);
  assert.deepEqual(Array.from(r.readF32Sync("emb")), Array.from(rounded(emb, "bf16")));
  assert.deepEqual(Array.from(r.readRawSync("flag")), [1, 0, 1]);
  r.close();
});

test("sharding: index JSON is correct and no shard exceeds shardSize unless one tensor is bigger", async () => {
  const out = join(tempDir(), "sharded");
  const tensors: OutputTensor[] = [];
  for (let i = 0; i < 12; i++) tensors.push({ name: `model.layers.${i}.w`, shape: [32, 16], dtype: "F32" }); // 1 KiB each in bf16
  tensors.push({ name: "lm_head.weight", shape: [64, 64], dtype: "F32" }); // 8 KiB alone
  tensors.push({ name: "model.norm.weight", shape: [16], dtype: "F32" });
  const shardSize = 3000;
  const w = await ModelWriter.create({ path: out, dtype: "bf16", shardSize, tensors, metadata: { mergelang_recipe_hash: "h" } });
  const data = new Map<string, Float32Array>();
  for (const [i, t] of tensors.entries()) {
    const d = dataFor(t, 100 + i);
    data.set(t.name, d);
    await w.writeF32(t.name, d);
  }
  const result = await w.commit();

  const index = JSON.parse(readFileSync(join(out, "model.safetensors.index.json"), "utf8")) as {
    metadata: { total_size: number };
    weight_map: Record<string, string>;
  };
  const shards = readdirSync(out).filter((f) => f.endsWith(".safetensors")).sort();
  assert.ok(shards.length > 2);
  shards.forEach((s, i) => assert.equal(s, `model-${String(i + 1).padStart(5, "0")}-of-${String(shards.length).padStart(5, "0")}.safetensors`));
  assert.deepEqual(Object.keys(index.weight_map).sort(), tensors.map((t) => t.name).sort());
  assert.deepEqual([...new Set(Object.values(index.weight_map))].sort(), shards);
  const totalData = tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1) * 2, 0);
  assert.equal(index.metadata.total_size, totalData);

  for (const s of shards) {
    const file = join(out, s);
    const h = readModelHeader(file);
    const size = statSync(file).size;
    if (h.tensors.size > 1) assert.ok(size <= shardSize, `${s} is ${size} bytes`);
    for (const name of h.tensors.keys()) assert.equal(index.weight_map[name], s);
  }
  assert.equal(index.weight_map["lm_head.weight"], shards.find((s) => readModelHeader(join(out, s)).tensors.has("lm_head.weight")));
  assert.equal(readModelHeader(join(out, index.weight_map["lm_head.weight"]!)).tensors.size, 1);
  assert.ok(result.files.includes(join(out, "model.safetensors.index.json")));

  // The folder reads back whole through the index, in write order.
  const h = readModelHeader(out);
  assert.deepEqual([...h.tensors.keys()], tensors.map((t) => t.name));
  const r = openModel(out);
  for (const [name, d] of data) assert.deepEqual(Array.from(await r.readF32(name)), Array.from(rounded(d, "bf16")), name);
  r.close();
});

test("config.json gets torch_dtype, tokenizer files and the model card are copied", async () => {
  const src = fixturesDir("reference", "models", "tiny_bf16", "base");
  const out = join(tempDir(), "with-config");
  const w = await ModelWriter.create({ path: out, dtype: "f16", shardSize: 1e9, tensors: [{ name: "x", shape: [1], dtype: "BF16" }], metadata: {} });
  await w.writeF32("x", new Float32Array([0.5]));
  assert.equal(await w.copyConfigFrom(src), true);
  assert.deepEqual(await w.copyTokenizerFrom(src), ["tokenizer_config.json"]);
  await w.writeText("README.md", "# merged\n");
  const result = await w.commit();
  const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as Record<string, unknown>;
  const original = JSON.parse(readFileSync(join(src, "config.json"), "utf8")) as Record<string, unknown>;
  assert.equal(config.torch_dtype, "float16");
  assert.deepEqual({ ...config, torch_dtype: original.torch_dtype }, original);
  assert.equal(readFileSync(join(out, "tokenizer_config.json"), "utf8"), readFileSync(join(src, "tokenizer_config.json"), "utf8"));
  assert.equal(readFileSync(join(out, "README.md"), "utf8"), "# merged\n");
  assert.deepEqual(result.files.map((f) => f.slice(out.length + 1)), ["README.md", "config.json", "model.safetensors", "tokenizer_config.json"]);
  const total = result.files.reduce((a, f) => a + statSync(f).size, 0);
  assert.equal(result.bytes, total);
});

function siblings(parent: string): string[] {
  return readdirSync(parent).sort();
}

test("abort removes the temporary folder and creates nothing", async () => {
  const parent = tempDir();
  const out = join(parent, "never");
  const w = await ModelWriter.create({ path: out, dtype: "bf16", shardSize: 1e9, tensors: TENSORS, metadata: {} });
  assert.ok(existsSync(w.tempPath));
  assert.match(w.tempPath, /\/\.never\.tmp-\d+-[0-9a-f]+$/);
  await w.writeF32(TENSORS[0]!.name, dataFor(TENSORS[0]!, 1));
  await w.abort();
  assert.deepEqual(siblings(parent), []);
  await assert.rejects(w.commit(), ModelWriteError);
});

test("an existing output stays untouched on abort and on failure, and is replaced on commit", async () => {
  const parent = tempDir();
  const out = join(parent, "merged");
  // An earlier output of mergelang's (its metadata says so): the one kind of folder replaced by default.
  const w0 = await ModelWriter.create({ path: out, dtype: "f32", shardSize: 1e9, tensors: [{ name: "old", shape: [1], dtype: "F32" }], metadata: { "mergelang.recipe_hash": "0" } });
  await w0.writeF32("old", new Float32Array([1]));
  await w0.commit();
  writeFileSync(join(out, "config.json"), "{}");
  const oldWeights = readFileSync(join(out, "model.safetensors"));

  const w1 = await ModelWriter.create({ path: out, dtype: "f32", shardSize: 1e9, tensors: TENSORS, metadata: {} });
  await w1.writeF32(TENSORS[0]!.name, dataFor(TENSORS[0]!, 1));
  await w1.abort();
  assert.deepEqual(siblings(parent), ["merged"]);
  assert.ok(readFileSync(join(out, "model.safetensors")).equals(oldWeights));

  // A failure (writing out of order) aborts by itself.
  const w2 = await ModelWriter.create({ path: out, dtype: "f32", shardSize: 1e9, tensors: TENSORS, metadata: {} });
  await assert.rejects(w2.writeF32(TENSORS[1]!.name, dataFor(TENSORS[1]!, 1)), (e: unknown) =>
    e instanceof ModelWriteError && e.tensor === TENSORS[1]!.name && /out of order/.test(e.message));
  assert.deepEqual(siblings(parent), ["merged"]);
  assert.deepEqual(readdirSync(out).sort(), ["config.json", "model.safetensors"]);

  // Committing with a tensor never written fails and cleans up too.
  const w3 = await ModelWriter.create({ path: out, dtype: "f32", shardSize: 1e9, tensors: TENSORS, metadata: {} });
  await assert.rejects(w3.commit(), (e: unknown) => e instanceof ModelWriteError && /never written/.test(e.message));
  assert.deepEqual(siblings(parent), ["merged"]);
  assert.ok(readFileSync(join(out, "model.safetensors")).equals(oldWeights));

  const w4 = await ModelWriter.create({ path: out, dtype: "f32", shardSize: 1e9, tensors: TENSORS, metadata: {} });
  await writeAll(w4);
  await w4.commit();
  assert.deepEqual(siblings(parent), ["merged"]);
  assert.deepEqual(readdirSync(out), ["model.safetensors"]);
  assert.deepEqual([...readModelHeader(out).tensors.keys()], TENSORS.map((t) => t.name));
});

test("a folder holding other files is never replaced", async () => {
  const parent = tempDir();
  writeFileSync(join(parent, "notes.txt"), "precious");
  await assert.rejects(
    ModelWriter.create({ path: parent, dtype: "f32", shardSize: 1e9, tensors: TENSORS, metadata: {} }),
    (e: unknown) => e instanceof ModelWriteError && /notes\.txt/.test(e.message),
  );
  assert.deepEqual(siblings(parent), ["notes.txt"]);
});

test("misuse is reported with the tensor name", async () => {
  const out = join(tempDir(), "m");
  const mk = (): Promise<ModelWriter> => ModelWriter.create({ path: out, dtype: "bf16", shardSize: 1e9, tensors: TENSORS, metadata: {} });
  let w = await mk();
  await assert.rejects(w.writeF32("nope", new Float32Array(1)), /not announced/);
  w = await mk();
  await assert.rejects(w.writeF32(TENSORS[0]!.name, new Float32Array(200)), /more than its 256/);
  w = await mk();
  await w.writeF32(TENSORS[0]!.name, new Float32Array(10));
  await assert.rejects(w.writeF32(TENSORS[0]!.name, new Float32Array(10), 20), /chunks must come in order/);
  w = await mk();
  await w.writeF32(TENSORS[0]!.name, dataFor(TENSORS[0]!, 1));
  await w.writeF32(TENSORS[1]!.name, dataFor(TENSORS[1]!, 1));
  await assert.rejects(w.writeF32(TENSORS[2]!.name, new Float32Array(5)), /writeRaw/);
  await assert.rejects(
    ModelWriter.create({ path: out, dtype: "bf16", shardSize: 1e9, tensors: [TENSORS[0]!, TENSORS[0]!], metadata: {} }),
    /listed twice/,
  );
  assert.deepEqual(readdirSync(join(out, "..")), []);
});

test("an empty tensor list still produces a valid file", async () => {
  const out = join(tempDir(), "empty");
  const w = await ModelWriter.create({ path: out, dtype: "bf16", shardSize: 100, tensors: [], metadata: { a: "b" } });
  await w.commit();
  const h = readModelHeader(out);
  assert.equal(h.tensors.size, 0);
  assert.equal(h.metadata.a, "b");
});

test("temporary folders left by dead runs are cleaned up; live ones are kept", async () => {
  const { spawnSync } = await import("node:child_process");
  const deadPid = spawnSync(process.execPath, ["-e", ""]).pid!;
  const parent = tempDir();
  const stale = join(parent, `.merged.tmp-${deadPid}-abcd1234`);
  const live = join(parent, `.merged.tmp-${process.pid}-00ff00ff`);
  mkdirSync(stale);
  mkdirSync(live);
  const w = await ModelWriter.create({ path: join(parent, "merged"), dtype: "f32", shardSize: 1e9, tensors: [], metadata: {} });
  assert.ok(!existsSync(stale));
  assert.ok(existsSync(live));
  await w.abort();
});

test("overlapping calls are refused instead of corrupting the file", async () => {
  const parent = tempDir();
  const w = await ModelWriter.create({ path: join(parent, "m"), dtype: "bf16", shardSize: 1e9, tensors: TENSORS, metadata: {} });
  const first = w.writeF32(TENSORS[0]!.name, dataFor(TENSORS[0]!, 1).subarray(0, 8));
  await assert.rejects(w.writeF32(TENSORS[0]!.name, dataFor(TENSORS[0]!, 1).subarray(8, 16)), /await each call/);
  await first.catch(() => undefined);
  assert.deepEqual(readdirSync(parent), []);
});

test("raw bytes in parts, and raw bytes larger than the staging buffers, land where a staged write would put them", async () => {
  const out = join(tempDir(), "parts");
  const tensors: OutputTensor[] = [
    { name: "flag", shape: [3], dtype: "BOOL" },
    { name: "emb", shape: [40, 30], dtype: "F32" },
    { name: "big", shape: [300], dtype: "U8" },
    { name: "tail", shape: [5], dtype: "F32" },
  ];
  const w = await ModelWriter.create({ path: out, dtype: "bf16", shardSize: 1e9, tensors, metadata: {}, bufferBytes: 64 });
  await w.writeRaw("flag", new Uint8Array([1, 0, 1]));
  const emb = randomFloats(1200, 4);
  const bits = new Uint16Array(1200);
  f32ToBF16(emb, bits);
  const bytes = new Uint8Array(bits.buffer);
  // 1,100 parts of 2 bytes (more than one writev), then the rest in two uneven parts.
  const parts = Array.from({ length: 1100 }, (_, i) => bytes.subarray(2 * i, 2 * i + 2));
  await w.writeRawParts("emb", parts, 0);
  await w.writeRawParts("emb", [bytes.subarray(2200, 2201), bytes.subarray(2201)]);
  const big = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
  await w.writeRaw("big", big);
  const tail = randomFloats(5, 8);
  await w.writeF32("tail", tail);
  await w.commit();
  const r = openModel(out);
  try {
    assert.deepEqual(Array.from(r.readRawSync("flag")), [1, 0, 1]);
    assert.deepEqual(Array.from(r.readRawSync("emb")), Array.from(bytes));
    assert.deepEqual(Array.from(r.readRawSync("big")), Array.from(big));
    assert.deepEqual(Array.from(r.readF32Sync("tail")), Array.from(rounded(tail, "bf16")));
  } finally {
    r.close();
  }
});

test("raw parts are checked like any other chunk", async () => {
  const out = join(tempDir(), "parts-bad");
  const w = await ModelWriter.create({ path: out, dtype: "bf16", shardSize: 1e9, tensors: [{ name: "x", shape: [4], dtype: "F32" }], metadata: {} });
  await assert.rejects(w.writeRawParts("x", [new Uint8Array(6), new Uint8Array(4)]), (e: unknown) => e instanceof ModelWriteError && /more than its 8/.test(e.message));
  assert.equal(existsSync(w.tempPath), false);
});

test("background syncs as the shards fill leave the same files; an abort while one runs leaves nothing", async () => {
  const tensors: OutputTensor[] = [];
  for (let i = 0; i < 40; i++) tensors.push({ name: `model.layers.${i}.w`, shape: [64, 32], dtype: "F32" }); // 4 KiB each in bf16
  const data = tensors.map((t, i) => dataFor(t, 300 + i));
  const out = join(tempDir(), "synced");
  const w = await ModelWriter.create({ path: out, dtype: "bf16", shardSize: 40_000, tensors, metadata: {}, bufferBytes: 1024, syncBehindBytes: 4096 });
  for (const [i, t] of tensors.entries()) await w.writeF32(t.name, data[i]!);
  await w.commit();
  assert.ok(w.backgroundSyncs >= 4, `${w.backgroundSyncs} background syncs`);
  const r = openModel(out);
  for (const [i, t] of tensors.entries()) assert.deepEqual(Array.from(await r.readF32(t.name)), Array.from(rounded(data[i]!, "bf16")), t.name);
  r.close();

  const dir = tempDir();
  const aborted = await ModelWriter.create({ path: join(dir, "aborted"), dtype: "bf16", shardSize: 1e9, tensors, metadata: {}, bufferBytes: 1024, syncBehindBytes: 1024 });
  for (const [i, t] of tensors.slice(0, 10).entries()) await aborted.writeF32(t.name, data[i]!);
  assert.ok(aborted.backgroundSyncs > 0);
  await aborted.abort();
  assert.deepEqual(readdirSync(dir), []);
});
