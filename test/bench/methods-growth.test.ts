/** The methods bench's summary line: how cost per parameter grows from one family to the next. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { growthLines, type MethodRow } from "../../bench/methods.js";

const row = (family: string, parameters: number, method: string, seconds: number, peakRssMB: number, torch: MethodRow["torch"]): MethodRow => ({
  family,
  parameters,
  method,
  ours: { seconds, peakRssMB, stdout: "" },
  torch,
});

test("growth compares time and peak RSS per parameter of the largest family with the smallest", () => {
  const lines = growthLines([
    row("160m", 1e8, "ties", 2, 500, { seconds: 10, peakRssMB: 1000, stdout: "" }),
    row("160m", 1e8, "slerp", 1, 400, "peer skipped"),
    row("1.1b", 8e8, "ties", 24, 1000, { seconds: 80, peakRssMB: 8000, stdout: "" }),
    row("1.1b", 8e8, "slerp", 8, 3200, "peer skipped"),
  ]);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /ties .*8\.0 × the parameters\): mergelang time\/param 1\.50 ×, peak RSS\/param 0\.25 ×; PyTorch time\/param 1\.00 ×, peak RSS\/param 1\.00 ×$/);
  assert.match(lines[1]!, /slerp .*mergelang time\/param 1\.00 ×, peak RSS\/param 1\.00 ×$/);
});

test("one family gives no growth line", () => {
  assert.deepEqual(growthLines([row("160m", 1e8, "ties", 2, 500, "x")]), []);
});
