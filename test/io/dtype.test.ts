import { test } from "node:test";
import assert from "node:assert/strict";
import { bf16ToF32, f16ToF32, f32ToBF16, f32ToF16, isFloatDType, dtypeSize } from "../../src/io/dtype.js";

function floatsFromBits(bits: number[]): Float32Array {
  return new Float32Array(new Uint32Array(bits).buffer);
}

function toBF16(bits: number[]): number[] {
  const out = new Uint16Array(bits.length);
  f32ToBF16(floatsFromBits(bits), out);
  return Array.from(out);
}

function toF16(bits: number[]): number[] {
  const out = new Uint16Array(bits.length);
  f32ToF16(floatsFromBits(bits), out);
  return Array.from(out);
}

function hex(a: number[]): string[] {
  return a.map((x) => "0x" + x.toString(16).padStart(4, "0"));
}

test("f32 → bf16 rounds to nearest even", () => {
  const cases: [number, number][] = [
    [0x3f800000, 0x3f80], // 1.0
    [0x3f808000, 0x3f80], // exact tie, even kept
    [0x3f818000, 0x3f82], // exact tie, odd rounds up
    [0x3f808001, 0x3f81], // just above the tie
    [0x3f807fff, 0x3f80], // just below the tie
    [0xbf818000, 0xbf82], // negative tie
    [0x80000000, 0x8000], // -0
    [0x00018000, 0x0002], // f32 subnormal tie, odd rounds up
    [0x00008000, 0x0000], // f32 subnormal tie, even kept
  ];
  assert.deepEqual(hex(toBF16(cases.map((c) => c[0]))), hex(cases.map((c) => c[1])));
});

test("f32 → bf16 keeps NaN and Inf and overflows to Inf like PyTorch", () => {
  const cases: [number, number][] = [
    [0x7f800000, 0x7f80], // +Inf
    [0xff800000, 0xff80], // -Inf
    [0x7f7fffff, 0x7f80], // FLT_MAX rounds past the largest bf16
    [0xff7fffff, 0xff80],
    [0x7f7f7fff, 0x7f7f], // below the halfway point stays finite
    [0x7fc00000, 0x7fc0], // NaN
    [0x7f800001, 0x7fc0], // signalling NaN whose upper bits look like Inf
    [0xffffffff, 0x7fc0], // negative NaN
  ];
  assert.deepEqual(hex(toBF16(cases.map((c) => c[0]))), hex(cases.map((c) => c[1])));
});

test("bf16 → f32 is exact", () => {
  const src = new Uint16Array([0x3f80, 0xc040, 0x0001, 0x7f80, 0xff80, 0x8000, 0x7fc0]);
  const out = new Float32Array(src.length);
  bf16ToF32(src, out);
  assert.deepEqual(Array.from(new Uint32Array(out.buffer)), [0x3f800000, 0xc0400000, 0x00010000, 0x7f800000, 0xff800000, 0x80000000, 0x7fc00000]);
});

test("f32 → f16 rounds to nearest even, subnormals included", () => {
  const cases: [number, number][] = [
    [0x3f800000, 0x3c00], // 1.0
    [0x3f801000, 0x3c00], // 1 + 2^-11: tie, even kept
    [0x3f803000, 0x3c02], // 1 + 3·2^-11: tie, odd rounds up
    [0x3f801001, 0x3c01], // just above the tie
    [0x477fe000, 0x7bff], // 65504, largest half
    [0x477fefff, 0x7bff], // just below 65520
    [0x477ff000, 0x7c00], // 65520 rounds to Inf
    [0xc77ff000, 0xfc00],
    [0x38800000, 0x0400], // 2^-14, smallest normal
    [0x387fc000, 0x03ff], // 1023·2^-24, largest subnormal
    [0x387fe000, 0x0400], // 2^-14 - 2^-25: tie rounds up into the normals
    [0x33800000, 0x0001], // 2^-24, smallest subnormal
    [0x33000000, 0x0000], // 2^-25: tie rounds to even zero
    [0x33000001, 0x0001], // just above 2^-25
    [0x33400000, 0x0001], // 1.5·2^-25
    [0x33c00000, 0x0002], // 3·2^-25 = 1.5·2^-24: tie, odd rounds up
    [0xb3800000, 0x8001], // -2^-24
    [0x2edbe6ff, 0x0000], // 1e-10 underflows to zero
    [0x80000000, 0x8000], // -0
    [0x7f800000, 0x7c00], // +Inf
    [0xff800000, 0xfc00], // -Inf
    [0x7fc00000, 0x7e00], // NaN
    [0xffc00000, 0xfe00], // negative NaN keeps its sign
    [0x7f800001, 0x7e00], // NaN with a tiny payload stays NaN
  ];
  assert.deepEqual(hex(toF16(cases.map((c) => c[0]))), hex(cases.map((c) => c[1])));
});

test("f16 → f32 is exact", () => {
  const src = new Uint16Array([0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x3555, 0x8000, 0xc000]);
  const out = new Float32Array(src.length);
  f16ToF32(src, out);
  assert.equal(out[0], 2 ** -24);
  assert.equal(out[1], 1023 * 2 ** -24);
  assert.equal(out[2], 2 ** -14);
  assert.equal(out[3], 65504);
  assert.equal(out[4], Infinity);
  assert.equal(out[5], -Infinity);
  assert.equal(out[6], 0.333251953125);
  assert.ok(Object.is(out[7], -0));
  assert.equal(out[8], -2);
  const nan = new Float32Array(1);
  f16ToF32(new Uint16Array([0x7e00]), nan);
  assert.ok(Number.isNaN(nan[0]));
});

test("every f16 bit pattern survives f16 → f32 → f16", () => {
  const all = new Uint16Array(65536);
  for (let i = 0; i < 65536; i++) all[i] = i;
  const wide = new Float32Array(65536);
  f16ToF32(all, wide);
  const back = new Uint16Array(65536);
  f32ToF16(wide, back);
  for (let h = 0; h < 65536; h++) {
    const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    if (isNaN) assert.ok((back[h]! & 0x7c00) === 0x7c00 && (back[h]! & 0x3ff) !== 0, `NaN 0x${h.toString(16)}`);
    else assert.equal(back[h], h, `pattern 0x${h.toString(16)}`);
  }
});

test("every bf16 bit pattern survives bf16 → f32 → bf16", () => {
  const all = new Uint16Array(65536);
  for (let i = 0; i < 65536; i++) all[i] = i;
  const wide = new Float32Array(65536);
  bf16ToF32(all, wide);
  const back = new Uint16Array(65536);
  f32ToBF16(wide, back);
  for (let h = 0; h < 65536; h++) {
    const isNaN = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
    assert.equal(back[h], isNaN ? 0x7fc0 : h, `pattern 0x${h.toString(16)}`);
  }
});

test("f32 → f16 agrees with exact rational rounding on random values", () => {
  // Reference: pick the nearer of the two neighbouring halves by exact arithmetic in float64.
  const n = 20000;
  const src = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    src[i] = (s / 2 ** 32 - 0.5) * 2 ** ((i % 40) - 26);
  }
  const got = new Uint16Array(n);
  f32ToF16(src, got);
  const halves = new Float32Array(65536);
  f16ToF32(new Uint16Array(Array.from({ length: 65536 }, (_, i) => i)), halves);
  for (let i = 0; i < n; i++) {
    const v = src[i]!;
    const g = halves[got[i]!]!;
    const sign = got[i]! & 0x8000;
    const mag = got[i]! & 0x7fff;
    const lower = halves[sign | Math.max(0, mag - 1)]!;
    const upper = halves[sign | Math.min(0x7bff, mag + 1)]!;
    // No neighbour of the chosen half may be strictly closer to v.
    assert.ok(Math.abs(g - v) <= Math.abs(lower - v) && Math.abs(g - v) <= Math.abs(upper - v), `value ${v}`);
  }
});

test("dtype sizes and float classification", () => {
  assert.equal(dtypeSize("BF16"), 2);
  assert.equal(dtypeSize("I64"), 8);
  assert.equal(dtypeSize("F8_E4M3"), 1);
  assert.ok(isFloatDType("F64") && isFloatDType("BF16"));
  assert.ok(!isFloatDType("F8_E5M2") && !isFloatDType("I32") && !isFloatDType("BOOL"));
});

test("bf16 → f32 is exact from any alignment and length, and widens in place from the upper half", () => {
  const bits = new Uint16Array(41);
  for (let i = 0; i < bits.length; i++) bits[i] = (i * 2654435761) >>> 16;
  const expected = Array.from(bits, (b) => b << 16 >>> 0);
  for (let offset = 0; offset < 3; offset++) {
    for (const n of [0, 1, 2, 7, 38]) {
      const src = new Uint16Array(bits.length + 3);
      src.set(bits.subarray(0, n), offset);
      const out = new Float32Array(n);
      bf16ToF32(src.subarray(offset, offset + n), out);
      assert.deepEqual(Array.from(new Uint32Array(out.buffer)), expected.slice(0, n), `offset ${offset}, ${n} values`);
    }
  }
  for (const n of [1, 2, 5, 38]) {
    // The bits in the upper half of the float32 destination's own bytes, as a stored read leaves them.
    const dst = new Float32Array(n);
    const upper = new Uint16Array(dst.buffer, 2 * n, n);
    upper.set(bits.subarray(0, n));
    bf16ToF32(upper, dst);
    assert.deepEqual(Array.from(new Uint32Array(dst.buffer)), expected.slice(0, n), `in place, ${n} values`);
  }
});
