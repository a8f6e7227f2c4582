import { test } from "node:test";
import assert from "node:assert/strict";
import { grouped } from "../../src/util/grouped.js";

test("grouped writes integers as toLocaleString(\"en-US\") does, rounding fractions", () => {
  for (const n of [0, 7, 999, 1000, 65_536, 999_999, 1_000_000, 162_123_456, 1_100_048_384, 2 ** 53 - 1, -5, -1234, -9_876_543, 12.4, 999.5, -2.6]) {
    assert.equal(grouped(n), Math.round(n).toLocaleString("en-US"), String(n));
  }
  assert.equal(grouped(Number.NaN), "NaN");
});
