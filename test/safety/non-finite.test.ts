// NaN and ±Inf never flow silently: in an input they are an error naming the model, the tensor and
// the count; in an output (a value beyond f16's range) too; allow_nonfinite lets them through.
import assert from "node:assert/strict";
import { closeSync, existsSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readModelHeader } from "../../src/io/model-header.js";
import { countNonFinite, countNonFiniteF32 } from "../../src/io/non-finite.js";
import { openModel } from "../../src/io/model-reader.js";
import { HEAD, mergelang, workspace } from "./support.js";

const TENSOR = "model.layers.1.mlp.down_proj.weight";

/** Overwrites elements of a stored tensor with raw bit patterns (NaN, Inf) in place. */
function poke(folder: string, tensor: string, at: number[], bits: number): void {
  const h = readModelHeader(folder);
  const t = h.tensors.get(tensor)!;
  const size = t.dtype === "F32" ? 4 : 2;
  const fd = openSync(t.file, "r+");
  try {
    for (const i of at) {
      const b = Buffer.alloc(size);
      if (size === 4) b.writeUInt32LE(bits >>> 0);
      else b.writeUInt16LE(bits);
      writeSync(fd, b, 0, size, t.byteOffset + i * size);
    }
  } finally {
    closeSync(fd);
  }
}

test("countNonFinite finds NaN, +Inf and -Inf in every float layout, at any offset and length", () => {
  const f32 = new Float32Array(1001).fill(1.5);
  assert.equal(countNonFiniteF32(f32), 0);
  f32[0] = NaN;
  f32[500] = Infinity;
  f32[1000] = -Infinity;
  f32[7] = 3.4e38; // finite, the largest exponent below all ones
  assert.equal(countNonFiniteF32(f32), 3);
  assert.equal(countNonFiniteF32(f32.subarray(1, 1000)), 1);
  for (const [dtype, nan, inf, big] of [["BF16", 0x7fc0, 0xff80, 0x7f7f], ["F16", 0x7e00, 0xfc00, 0x7bff]] as const) {
    for (const offset of [0, 1, 2, 3]) {
      for (const length of [0, 1, 2, 5, 64, 65]) {
        const bits = new Uint16Array(offset + length + 1).fill(0x3c00);
        if (length > 0) bits[offset + length - 1] = big;
        const view = new Uint8Array(bits.buffer, offset * 2, length * 2);
        assert.equal(countNonFinite(view, dtype), 0, `${dtype} ${offset}+${length} clean`);
        if (length >= 2) {
          bits[offset] = nan;
          bits[offset + length - 1] = inf;
          assert.equal(countNonFinite(view, dtype), 2, `${dtype} ${offset}+${length}`);
        }
      }
    }
  }
  // Integers are never counted; an odd byte offset is read byte by byte.
  assert.equal(countNonFinite(new Uint8Array([0xff, 0xff, 0xff, 0xff]), "I32"), 0);
  const odd = new Uint8Array(9);
  new DataView(odd.buffer).setUint32(1, 0x7f800000, true);
  assert.equal(countNonFinite(odd.subarray(1), "F32"), 1);
});

for (const dtype of ["f32", "bf16"] as const) {
  for (const threads of ["1", "2"]) {
    test(`NaN and Inf in an input (${dtype}, ${threads} thread${threads === "1" ? "" : "s"}) stop the run, naming the model, tensor and count`, () => {
      const dir = workspace(`${HEAD}save(m, "out")\n`, dtype);
      const nan = dtype === "f32" ? 0x7fc00000 : 0x7fc0;
      const inf = dtype === "f32" ? 0xff800000 : 0xff80;
      poke(join(dir, "models", "task_b"), TENSOR, [3, 17], nan);
      poke(join(dir, "models", "task_b"), TENSOR, [40], inf);
      const r = mergelang(dir, "run", "--threads", threads, "r.merge");
      assert.equal(r.status, 1, r.out);
      assert.match(r.out, new RegExp(`model .*task_b: tensor "${TENSOR.replace(/\./g, "\\.")}" holds 3 NaN or ±Inf values`));
      assert.match(r.out, /allow_nonfinite: true/);
      assert.match(r.out, /r\.merge:3:5: model /, "at the model(...) call");
      assert.ok(!existsSync(join(dir, "out")), "no output");
      // With the option the merge runs; the values reach the output and are written as they are.
      const ok = mergelang(dir, "run", "--threads", threads, "--allow-nonfinite", "r.merge");
      assert.equal(ok.status, 0, ok.out);
      const reader = openModel(join(dir, "out"));
      try {
        assert.ok(countNonFiniteF32(reader.readF32Sync(TENSOR)) > 0);
      } finally {
        reader.close();
      }
    });
  }
}

test("allow_nonfinite: true on the save lets the same run through", () => {
  const dir = workspace(`${HEAD}save(m, "out", allow_nonfinite: true)\n`);
  poke(join(dir, "models", "task_a"), TENSOR, [0], 0x7fc00000);
  const r = mergelang(dir, "run", "r.merge");
  assert.equal(r.status, 0, r.out);
});

test("a value beyond f16's range is an error at the save, not a silent +Inf", () => {
  for (const threads of ["1", "2"]) {
    const dir = workspace('base = model("models/base")\na = model("models/task_a")\nsave(base + 1e6 * (a - base), "out", dtype: "f16")\n');
    const r = mergelang(dir, "run", "--threads", threads, "r.merge");
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /tensor ".*" would be saved to .*out with \d+ NaN or ±Inf values? as F16 \(f16's largest value is 65504/);
    assert.match(r.out, /dtype: "bf16"/);
    // bf16 has the range: the same merge saves.
    writeFileSync(join(dir, "r.merge"), 'base = model("models/base")\na = model("models/task_a")\nsave(base + 1e6 * (a - base), "out", dtype: "bf16")\n');
    const ok = mergelang(dir, "run", "--threads", threads, "r.merge");
    assert.equal(ok.status, 0, ok.out);
  }
});
