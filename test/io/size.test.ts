import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSize } from "../../src/io/size.js";

test("parseSize reads decimal and binary units", () => {
  assert.equal(parseSize("5GB"), 5e9);
  assert.equal(parseSize("500MB"), 5e8);
  assert.equal(parseSize("2GiB"), 2 * 2 ** 30);
  assert.equal(parseSize("1.5 GB"), 1.5e9);
  assert.equal(parseSize("100kb"), 1e5);
  assert.equal(parseSize("64MiB"), 64 * 2 ** 20);
  assert.equal(parseSize("4096"), 4096);
  assert.equal(parseSize(1234), 1234);
});

test("parseSize rejects garbage with a clear message", () => {
  for (const bad of ["five", "5XB", "", "GB", "-5GB", "0", "5 G B", "1e9"]) {
    assert.throws(() => parseSize(bad), (e: unknown) => e instanceof RangeError && /invalid size/.test(e.message), bad);
  }
  assert.throws(() => parseSize(-1), RangeError);
  assert.throws(() => parseSize(Number.NaN), RangeError);
});
