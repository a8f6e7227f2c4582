import assert from "node:assert/strict";
import { test } from "node:test";
import { History } from "../../kernel/history.js";
import { codePointsToUtf16, utf16ToCodePoints } from "../../kernel/handler.js";
import { Prelude } from "../../src/session/cell-source.js";
import { splitMagics } from "../../src/session/magics.js";
import { isComplete } from "../../src/session/is-complete.js";
import { cursorContext } from "../../src/session/token-context.js";
import { TensorCache } from "../../src/session/tensor-cache.js";
import { parseCacheSize } from "../../src/session/index.js";

test("the prelude maps positions back to the cell and line they came from", () => {
  const p = new Prelude();
  p.append("a = 1\nb = 2", 1);
  p.append("c = 3", 2);
  const cell = "d = 4\ne = f";
  const composed = p.compose(cell);
  assert.equal(composed.text, "a = 1\nb = 2\nc = 3\nd = 4\ne = f");
  assert.equal(composed.cellLine, 4);
  const inCell = p.locate(composed, cell, { line: 5, column: 5 });
  assert.equal(inCell.segment, null);
  assert.equal(inCell.line, 2);
  assert.equal(inCell.sourceLine, "e = f");
  const earlier = p.locate(composed, cell, { line: 2, column: 1 });
  assert.equal(earlier.segment?.executionCount, 1);
  assert.equal(earlier.line, 2);
  assert.equal(p.locate(composed, cell, { line: 3, column: 1 }).segment?.executionCount, 2);
});

test("magic lines are replaced by spaces, keeping every offset", () => {
  const cell = "%cache 2GB\nx = 1\n  %who";
  const { magics, code } = splitMagics(cell);
  assert.deepEqual(magics.map((m) => [m.name, m.args, m.line]), [
    ["cache", "2GB", 1],
    ["who", "", 3],
  ]);
  assert.equal(code.length, cell.length);
  assert.equal(code.split("\n")[1], "x = 1");
  assert.equal(code.trim(), "x = 1");
});

test("is_complete: brackets, trailing operators and where clauses", () => {
  const status = (c: string): string => isComplete(c).status;
  assert.equal(status("x = 1"), "complete");
  assert.equal(status("m = ties(a, b,\n  base: c)"), "complete");
  assert.equal(status("m = ties(a,"), "incomplete");
  assert.equal(status("x = [1, 2"), "incomplete");
  assert.equal(status("x = 1 -"), "incomplete");
  assert.equal(status("x ="), "incomplete");
  assert.equal(status('m = ties(a, base: b)\n  where "*.mlp.*" {'), "incomplete");
  assert.equal(status("m = ties(a, base: b) where"), "incomplete");
  assert.equal(status("m = ties(a, base: b) where layers 0.."), "incomplete");
  assert.equal(status("x = )"), "invalid");
  assert.equal(status("x = (1]"), "invalid");
  assert.equal(status('x = "abc'), "invalid");
  assert.equal(status("x = 1 $"), "invalid");
  assert.equal(status("%cache 1GB"), "complete");
  assert.equal(status(""), "complete");
});

test("the cursor context knows the call, the parameter and the word being typed", () => {
  const c = cursorContext("m = ties(a, b, base: base, den", 30);
  assert.equal(c.prefix, "den");
  assert.equal(c.open[c.open.length - 1]?.callee, "ties");
  assert.deepEqual([...c.open[c.open.length - 1]!.given], ["base"]);
  const v = cursorContext('ties(a, scope: "gl', 18);
  assert.equal(v.valueOf, "scope");
  assert.deepEqual(v.string, { start: 15, typed: "gl" });
  const w = cursorContext('ties(a, base: b) where "*.mlp.*" { den', 38);
  assert.equal(w.open[w.open.length - 1]?.bracket, "{");
  assert.equal(w.open[w.open.length - 1]?.callee, "ties");
});

test("Jupyter's code-point cursor positions convert to and from UTF-16 offsets", () => {
  const text = "# 🙂\nx";
  assert.equal(codePointsToUtf16(text, 4), 5);
  assert.equal(utf16ToCodePoints(text, 5), 4);
  assert.equal(codePointsToUtf16(text, [...text].length), text.length);
});

test("history answers tail, range and search (glob, unique, n)", () => {
  const h = new History();
  ["1 + 1", "x = 2", "1 + 1", "1 + 3"].forEach((input, i) => h.add({ line: i + 1, input, output: i === 1 ? null : "2" }));
  assert.deepEqual(h.query({ hist_access_type: "tail", n: 2 }), [
    [1, 3, "1 + 1"],
    [1, 4, "1 + 3"],
  ]);
  assert.deepEqual(h.query({ hist_access_type: "range", session: 1, start: 2, stop: 3, output: true }), [[1, 2, ["x = 2", null]]]);
  assert.deepEqual(h.query({ hist_access_type: "range", session: 7, start: 1, stop: 9 }), []);
  assert.equal(h.query({ hist_access_type: "search", pattern: "1 + *" }).length, 3);
  assert.deepEqual(h.query({ hist_access_type: "search", pattern: "1 + ?", unique: true }).map((r) => r[1]), [3, 4]);
  assert.deepEqual(h.query({ hist_access_type: "search", pattern: "1*", n: 1 }).map((r) => r[1]), [4]);
});

test("the tensor cache evicts least recently used entries beyond its cap", () => {
  const cache = new TensorCache(100);
  cache.set("a", new Float32Array(10)); // 40 bytes
  cache.set("b", new Float32Array(10));
  assert.ok(cache.get("a"));
  cache.set("c", new Float32Array(10)); // 120 > 100: evicts b, the least recently used
  assert.ok(cache.has("a"));
  assert.ok(!cache.has("b"));
  assert.ok(cache.has("c"));
  cache.set("huge", new Float32Array(100));
  assert.ok(!cache.has("huge"), "an entry larger than the cap is not kept");
  cache.setCap(40);
  assert.equal(cache.stats().entries, 1);
  assert.ok(cache.stats().bytes <= 40);
  assert.throws(() => cache.setCap(-1), /0 or more/);
});

test("cache sizes: units, plain bytes and 0", () => {
  assert.equal(parseCacheSize("2GB"), 2e9);
  assert.equal(parseCacheSize("512MiB"), 512 * 2 ** 20);
  assert.equal(parseCacheSize("1000"), 1000);
  assert.equal(parseCacheSize("0"), 0);
  assert.throws(() => parseCacheSize("lots"));
});
