import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, truncateSync } from "node:fs";
import { fixturesDir } from "../support/paths.js";
import { f32ToBF16, f32ToF16 } from "../../src/io/dtype.js";
import { ModelFormatError } from "../../src/io/errors.js";
import { openModel } from "../../src/io/model-reader.js";
import { f32Bytes, randomFloats, safetensorsBytes, tempDir, writeFile } from "./build-safetensors.js";

/** A file holding the same values as F32, BF16-exact values as BF16 and F16, and F64. */
function mixedFile(): { file: string; values: Float32Array } {
  const values = new Float32Array([1, -2.5, 0.15625, 3, -0, 65504, 2 ** -24, 1025]);
  const bf16 = new Uint16Array(values.length);
  f32ToBF16(values, bf16);
  const f16 = new Uint16Array(values.length);
  f32ToF16(values, f16);
  const file = writeFile(
    tempDir(),
    "m.safetensors",
    safetensorsBytes([
      { name: "u8", dtype: "U8", shape: [3], data: new Uint8Array([7, 8, 9]) }, // leaves the next tensor unaligned
      { name: "f32", dtype: "F32", shape: [2, 4], data: f32Bytes(Array.from(values)) },
      { name: "bf16", dtype: "BF16", shape: [8], data: new Uint8Array(bf16.buffer) },
      { name: "f16", dtype: "F16", shape: [8], data: new Uint8Array(f16.buffer) },
      { name: "f64", dtype: "F64", shape: [8], data: new Uint8Array(new Float64Array(values).buffer) },
      { name: "i64", dtype: "I64", shape: [2], data: new Uint8Array(new BigInt64Array([5n, -1n]).buffer) },
    ]),
  );
  return { file, values };
}

test("readF32 converts every float dtype exactly", async () => {
  const { file, values } = mixedFile();
  const r = openModel(file);
  try {
    const f32 = await r.readF32("f32");
    assert.deepEqual(Array.from(f32), Array.from(values));
    assert.ok(Object.is(f32[4], -0));
    assert.deepEqual(Array.from(await r.readF32("f64")), Array.from(values));
    // Values here are exact in f16; 65504, 1025 and 2^-24 are not bf16-exact.
    assert.deepEqual(Array.from(await r.readF32("f16")), Array.from(values));
    const bf = await r.readF32("bf16");
    assert.deepEqual(Array.from(bf.subarray(0, 5)), [1, -2.5, 0.15625, 3, -0]);
    assert.equal(bf[5], 65536); // 65504 rounds up to 65536 in bf16
    assert.equal(bf[6], 2 ** -24); // powers of two are exact
    assert.equal(bf[7], 1024); // bf16 steps by 8 at 1024
  } finally {
    r.close();
  }
});

test("ranged reads return just the requested elements", async () => {
  const { file, values } = mixedFile();
  const r = openModel(file);
  try {
    for (const name of ["f32", "f16", "f64"]) {
      assert.deepEqual(Array.from(await r.readF32(name, 3, 4)), Array.from(values.subarray(3, 7)), name);
      assert.deepEqual(Array.from(r.readF32Sync(name, 5)), Array.from(values.subarray(5)), name);
    }
    // Into a caller's buffer at an offset view, leaving the rest alone.
    const out = new Float32Array(10).fill(42);
    await r.readF32Into("f16", out.subarray(2), 1, 3);
    assert.deepEqual(Array.from(out), [42, 42, -2.5, 0.15625, 3, 42, 42, 42, 42, 42]);
    r.readF32IntoSync("f32", out, 5, 2);
    assert.deepEqual(Array.from(out.subarray(0, 2)), [65504, 2 ** -24]);
  } finally {
    r.close();
  }
});

test("readRaw returns the stored bytes of carried dtypes", async () => {
  const { file } = mixedFile();
  const r = openModel(file);
  try {
    const raw = await r.readRaw("i64");
    assert.deepEqual(Array.from(new BigInt64Array(new Uint8Array(raw).buffer)), [5n, -1n]);
    assert.deepEqual(Array.from(r.readRawSync("u8")), [7, 8, 9]);
  } finally {
    r.close();
  }
});

test("bad requests are ModelFormatErrors naming the tensor", async () => {
  const { file } = mixedFile();
  const r = openModel(file);
  try {
    await assert.rejects(r.readF32("nope"), (e: unknown) => e instanceof ModelFormatError && e.code === "unknown-tensor" && e.tensor === "nope");
    await assert.rejects(r.readF32("i64"), (e: unknown) => e instanceof ModelFormatError && e.code === "dtype-not-float" && /readRaw/.test(e.message));
    await assert.rejects(r.readF32("f32", 6, 5), (e: unknown) => e instanceof ModelFormatError && e.code === "read-range");
    assert.throws(() => r.readF32IntoSync("f32", new Float32Array(2), 0, 3), (e: unknown) => e instanceof ModelFormatError && e.code === "read-range");
  } finally {
    r.close();
  }
});

test("a file truncated after its header was read fails with truncated, naming file and tensor", async () => {
  const n = 1000;
  const data = randomFloats(n, 3);
  const file = writeFile(
    tempDir(),
    "big.safetensors",
    safetensorsBytes([
      { name: "first", dtype: "F32", shape: [n], data: new Uint8Array(data.buffer) },
      { name: "second", dtype: "F32", shape: [n], data: new Uint8Array(data.buffer) },
    ]),
  );
  const r = openModel(file);
  try {
    const size = readFileSync(file).length;
    truncateSync(file, size - 2000);
    assert.deepEqual(Array.from(await r.readF32("first")), Array.from(data));
    const check = (e: unknown): boolean =>
      e instanceof ModelFormatError && e.code === "truncated" && e.file === file && e.tensor === "second" && e.message.includes(file);
    await assert.rejects(r.readF32("second"), check);
    assert.throws(() => r.readF32Sync("second"), check);
    await assert.rejects(r.readRaw("second"), check);
  } finally {
    r.close();
  }
});

test("reference bf16 tensors widen to the same float32 values", async () => {
  const r = openModel(fixturesDir("reference", "models", "tiny_bf16", "base"));
  try {
    const name = "model.layers.1.mlp.up_proj.weight";
    const t = r.tensor(name);
    const raw = new Uint16Array(new Uint8Array(await r.readRaw(name)).buffer);
    const wide = await r.readF32(name);
    assert.equal(wide.length, t.numel);
    const bits = new Uint32Array(wide.buffer);
    for (let i = 0; i < t.numel; i++) assert.equal(bits[i], (raw[i]! << 16) >>> 0);
    assert.ok(wide.some((v) => v !== 0));
  } finally {
    r.close();
  }
});

test("a closed reader refuses to read", async () => {
  const { file } = mixedFile();
  const r = openModel(file);
  r.close();
  await assert.rejects(r.readF32("f32"), ModelFormatError);
});

test("readStoredInto puts a range's stored bytes into consecutive parts, any number of them", async () => {
  const n = 3000;
  const bits = new Uint16Array(n);
  for (let i = 0; i < n; i++) bits[i] = (i * 40503) & 0xffff;
  const file = writeFile(tempDir(), "big.safetensors", safetensorsBytes([
    { name: "u8", dtype: "U8", shape: [1], data: new Uint8Array([1]) },
    { name: "bf16", dtype: "BF16", shape: [n], data: new Uint8Array(bits.buffer) },
  ]));
  const r = openModel(file);
  try {
    // 1,399 parts of 2 bytes then one of 2: more than one system call's worth of parts.
    const start = 1000;
    const count = 1400;
    const parts = Array.from({ length: count }, () => new Uint8Array(2));
    await r.readStoredInto("bf16", parts, start, count);
    const got = new Uint16Array(new Uint8Array(parts.flatMap((p) => Array.from(p))).buffer);
    assert.deepEqual(Array.from(got), Array.from(bits.subarray(start, start + count)));
    const one = new Uint8Array(8);
    await r.readStoredInto("bf16", [one.subarray(0, 3), one.subarray(3)], n - 4);
    assert.deepEqual(Array.from(new Uint16Array(one.buffer)), Array.from(bits.subarray(n - 4)));
    await assert.rejects(r.readStoredInto("bf16", [new Uint8Array(6)], 0, 2), (e: unknown) => e instanceof ModelFormatError && e.code === "read-range");
    await assert.rejects(r.readStoredInto("bf16", [new Uint8Array(4)], n - 1, 2), (e: unknown) => e instanceof ModelFormatError && e.code === "read-range");
  } finally {
    r.close();
  }
});
