import { test } from "node:test";
import assert from "node:assert/strict";
import { DOMAINS, domainByName, identity, invert, mirror, rotate90 } from "../../bench/quality/domains.js";
import { digitInput, pool2x2 } from "../../bench/quality/inputs.js";
import { Rng } from "../../bench/quality/random.js";
import { syntheticDigits } from "./synthetic.js";

const img = (...v: number[]): Float32Array => Float32Array.from(v);
const random = (side: number, seed: number): Float32Array => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: side * side }, () => rng.uniform());
};

test("rotate90 turns a quarter clockwise: the top row becomes the right column", () => {
  assert.deepEqual(rotate90(img(1, 2, 3, 4), 2), img(3, 1, 4, 2));
  assert.deepEqual(rotate90(img(1, 2, 3, 4, 5, 6, 7, 8, 9), 3), img(7, 4, 1, 8, 5, 2, 9, 6, 3));
});

test("four quarter turns give the image back, two give the half turn", () => {
  const x = random(5, 1);
  let y = x;
  for (let i = 0; i < 4; i++) y = rotate90(y, 5);
  assert.deepEqual(y, x);
  assert.deepEqual(rotate90(rotate90(x, 5), 5), Float32Array.from(x).reverse());
});

test("mirror swaps left and right, and is its own inverse", () => {
  assert.deepEqual(mirror(img(1, 2, 3, 4, 5, 6, 7, 8, 9), 3), img(3, 2, 1, 6, 5, 4, 9, 8, 7));
  const x = random(4, 2);
  assert.deepEqual(mirror(mirror(x, 4), 4), x);
});

test("invert maps ink to paper: v → 1 − v", () => {
  assert.deepEqual(invert(img(0, 0.25, 0.5, 1), 2), img(1, 0.75, 0.5, 0));
});

test("transforms return new images and refuse a non-square input", () => {
  const x = img(1, 2, 3, 4);
  assert.notEqual(identity(x, 2), x);
  assert.deepEqual(identity(x, 2), x);
  for (const f of [identity, rotate90, mirror, invert]) assert.throws(() => f(img(1, 2, 3), 2), /expected 2×2/);
});

test("the four tasks' domains are upright, rotated, inverted and mirrored", () => {
  assert.deepEqual(DOMAINS.map((d) => d.name), ["upright", "rotated", "inverted", "mirrored"]);
  assert.equal(domainByName("rotated").transform, rotate90);
  assert.throws(() => domainByName("sideways"), /unknown domain "sideways"/);
});

test("2×2 average pooling", () => {
  // 4×4 → 2×2: each output is the mean of one 2×2 block.
  const x = img(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
  assert.deepEqual(pool2x2(x, 4), img(3.5, 5.5, 11.5, 13.5));
  assert.throws(() => pool2x2(img(1, 2, 3, 4, 5, 6, 7, 8, 9), 3), /even square/);
});

test("pooling commutes with every domain transform, so pooled domains stay exact", () => {
  const x = random(8, 3);
  for (const d of DOMAINS) {
    const a = pool2x2(d.transform(x, 8), 8);
    const b = d.transform(pool2x2(x, 8), 4);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-6, `${d.name} at ${i}`));
  }
});

test("network inputs lie in [-1, 1] and an inverted digit's input is the upright one negated", () => {
  const digits = syntheticDigits(3, 8, 4);
  const up = digitInput(digits, 1, domainByName("upright"));
  const inv = digitInput(digits, 1, domainByName("inverted"));
  assert.equal(up.length, 16);
  up.forEach((v, i) => {
    assert.ok(v >= -1 && v <= 1);
    assert.ok(Math.abs(v + inv[i]!) < 1e-6);
  });
  assert.throws(() => digitInput(digits, 3, domainByName("upright")), /out of range/);
});
