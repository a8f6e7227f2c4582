import { test } from "node:test";
import assert from "node:assert/strict";
import { f16ToF32, f32ToBF16, f32ToF16 } from "../../src/io/dtype.js";
import { BLOCK } from "../../src/engine/kernels/elementwise.js";
import {
  SEGMENT,
  decodeAll,
  decodeCopy,
  decodeRange,
  encodeAll,
  encodeSegment,
  encodedHalves,
  storedHalves,
} from "../../src/engine/parallel/decode.js";
import { forEachClaim, grainOf, newClaims } from "../../src/engine/parallel/claims.js";
import { normals } from "./random.js";

/** Two and a half segments and an odd tail: every segment shape, including an odd-length last one. */
const LENGTH = 2 * SEGMENT + SEGMENT / 2 + 3;

/** A float32 buffer holding `bits` as a stored read leaves them: each segment's bits in its upper half. */
function storedBuffer(bits: Uint16Array): Float32Array {
  const buf = new Float32Array(bits.length);
  let at = 0;
  for (const part of storedHalves(buf)) {
    part.set(new Uint8Array(bits.buffer, 2 * at, part.length));
    at += part.length / 2;
  }
  assert.equal(at, bits.length);
  return buf;
}

function bf16Of(values: Float32Array): Uint16Array {
  const bits = new Uint16Array(values.length);
  f32ToBF16(values, bits);
  return bits;
}

function widened(bits: Uint16Array): Uint32Array {
  return Uint32Array.from(bits, (b) => (b << 16) >>> 0);
}

test("stored bf16 widens in place, segment by segment and block by block, to the exact values", () => {
  const bits = bf16Of(normals(LENGTH, 1, 0.02));
  const buf = storedBuffer(bits);
  const d = { dst: buf, dtype: "BF16" as const, nonFinite: null };
  // As a statistics pass does: each segment from its start, in blocks; segments in any order.
  const starts: number[] = [];
  for (let s = 0; s < LENGTH; s += SEGMENT) starts.push(s);
  for (const s of starts.reverse()) {
    for (let b = s; b < Math.min(LENGTH, s + SEGMENT); b += BLOCK) decodeRange([d], b, Math.min(LENGTH, s + SEGMENT, b + BLOCK));
  }
  assert.deepEqual(new Uint32Array(buf.buffer), widened(bits));
});

test("decodeAll widens f16 too, and a copy leaves the stored bits alone", () => {
  const values = normals(LENGTH, 2, 3);
  const bits = new Uint16Array(LENGTH);
  f32ToF16(values, bits);
  const expected = new Float32Array(LENGTH);
  f16ToF32(bits, expected);
  const buf = storedBuffer(bits);
  const d = { dst: buf, dtype: "F16" as const, nonFinite: null };
  const copy = new Float32Array(100);
  decodeCopy(d, SEGMENT + 5, SEGMENT + 105, copy);
  assert.deepEqual(copy, expected.subarray(SEGMENT + 5, SEGMENT + 105));
  decodeAll([d]);
  assert.deepEqual(buf, expected);
});

test("outputs round in place into the lower halves, which hold the bits a plain rounding gives", () => {
  const values = normals(LENGTH, 3, 0.5);
  const expected = bf16Of(values);
  for (const byThreads of [false, true]) {
    const buf = Float32Array.from(values);
    if (byThreads) {
      // Segments taken in turns, as threads would (each whole, from its start).
      const claims = newClaims(LENGTH, SEGMENT);
      forEachClaim(claims, (start) => encodeSegment("BF16", buf, start));
    } else encodeAll("BF16", buf);
    const got = new Uint8Array(encodedHalves(buf).flatMap((p) => Array.from(p)));
    assert.deepEqual(new Uint16Array(got.buffer), expected);
  }
});

test("claims cover every element once, in ranges of the grain", () => {
  const claims = newClaims(1000, 64);
  const seen = new Uint8Array(1000);
  const covered = forEachClaim(claims, (s, e) => {
    assert.equal(s % 64, 0);
    assert.ok(e - s <= 64 && e > s);
    for (let i = s; i < e; i++) seen[i]!++;
  });
  assert.equal(covered, 1000);
  assert.ok(seen.every((x) => x === 1));
  // Claims already taken are not handed out again.
  assert.equal(forEachClaim(claims, () => assert.fail("no range left")), 0);
  assert.equal(grainOf(2816, SEGMENT), 12 * 2816);
  assert.equal(grainOf(100_000, SEGMENT), 100_000);
});
