// The terminal bar and the log lines: one bar per save, the step inside it, no rate or ETA before they mean anything.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ProgressBar } from "../../src/cli/progress.js";

function recorder(): { stream: NodeJS.WriteStream; text: () => string } {
  let out = "";
  const stream = { columns: 120, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => out };
}

test("on a terminal: one bar per label, the pass inside it, rate and ETA only once settled", () => {
  const { stream, text } = recorder();
  let now = 0;
  const bar = new ProgressBar(stream, true, () => now);
  bar.update({ label: "out/a", step: "ties statistics, pass 1 of up to 2", done: 1, total: 100, bytes: 1000 });
  const first = text().split("\r\x1b[2K").at(-1)!;
  assert.equal(first, `out/a ${"░".repeat(30)}   1% ties statistics, pass 1 of up to 2`);
  now = 2000;
  bar.update({ label: "out/a", step: "writing", done: 50, total: 100, bytes: 4_000_000 });
  assert.equal(text().split("\r\x1b[2K").at(-1), `out/a ${"█".repeat(15)}${"░".repeat(15)}  50% writing · 2.0 MB/s · ETA 0:02`);
  assert.ok(!text().includes("\n"), "the same save redraws its own line");
  bar.update({ label: "out/b", step: "writing", done: 1, total: 10, bytes: 10 });
  assert.equal(text().split("\n").length, 2, "a new save starts a new line");
});

test("in a log: a line per step and at the end, with the elapsed time", () => {
  const { stream, text } = recorder();
  let now = 0;
  const bar = new ProgressBar(stream, false, () => now);
  bar.update({ label: "out/a", step: "ties statistics, pass 1 of 2", done: 10, total: 100, bytes: 0 });
  now = 100;
  bar.update({ label: "out/a", step: "ties statistics, pass 1 of 2", done: 20, total: 100, bytes: 0 });
  now = 1500;
  bar.update({ label: "out/a", step: "writing", done: 60, total: 100, bytes: 3_000_000 });
  now = 3000;
  bar.update({ label: "out/a", step: "writing", done: 100, total: 100, bytes: 6_000_000 });
  assert.deepEqual(text().trimEnd().split("\n"), [
    "out/a: ties statistics, pass 1 of 2, 10%",
    "out/a: writing, 60%, 2.0 MB/s, ETA 0:01",
    "out/a: writing, 100%, 2.0 MB/s, in 0:03",
  ]);
});
