import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ModelReader, readModelHeader } from "../../src/io/index.js";
import { REPORT_MIME, Session } from "../../src/session/index.js";
import { recorder } from "./collect.js";
import { modelsDir } from "./support.js";

const DECLARE = 'base = model("models/tiny_f32/base")\na = model("models/tiny_f32/task_a")\nb = model("models/tiny_f32/task_b")';

async function sessionWithModels(): Promise<{ session: Session; dir: string }> {
  const dir = modelsDir();
  const session = new Session({ cwd: dir });
  const { out } = recorder();
  const r = await session.execute(DECLARE, out, { executionCount: 1 });
  assert.equal(r.status, "ok");
  return { session, dir };
}

test("bindings made by one cell are visible to the next", async () => {
  const session = new Session({ cwd: modelsDir() });
  assert.equal((await session.execute("x = 2", recorder().out)).status, "ok");
  const { out, got } = recorder();
  assert.equal((await session.execute("x * 3", out)).status, "ok");
  assert.equal(got.results[0]?.["text/plain"], "6");
});

test("rebinding a name in a later cell shadows the earlier value", async () => {
  const session = new Session({ cwd: modelsDir() });
  await session.execute("x = 2", recorder().out);
  await session.execute("x = 5", recorder().out);
  const { out, got } = recorder();
  await session.execute("x", out);
  assert.equal(got.results[0]?.["text/plain"], "5");
});

test("only the final expression statement is the result; earlier ones are displays; print goes to stdout", async () => {
  const session = new Session({ cwd: modelsDir() });
  const { out, got } = recorder();
  await session.execute('1 + 1\nprint("hi", 2)\n"last"', out);
  assert.equal(got.stdout, "hi 2\n");
  assert.deepEqual(got.displays.map((d) => d.bundle["text/plain"]), ["2"]);
  assert.deepEqual(got.results.map((b) => b["text/plain"]), ["last"]);
});

test("a cell ending in a binding has no result", async () => {
  const session = new Session({ cwd: modelsDir() });
  const { out, got } = recorder();
  await session.execute("1 + 1\ny = 3", out);
  assert.equal(got.results.length, 0);
  assert.equal(got.displays.length, 1);
});

test("an error in a later cell points at that cell's own line and column", async () => {
  const session = new Session({ cwd: modelsDir() });
  await session.execute("x = 1\ny = 2", recorder().out, { executionCount: 1 });
  const r = await session.execute("z = x\nw = tiess(x)", recorder().out, { executionCount: 2 });
  assert.equal(r.status, "error");
  if (r.status !== "error") return;
  assert.equal(r.error.ename, "unknown-function");
  assert.match(r.error.evalue, /did you mean 'ties'/);
  const tb = r.error.traceback.join("\n");
  assert.match(tb, /Cell In\[2\], line 2, column 5/);
  assert.match(tb, /2 \| w = tiess\(x\)\n\s+\| {5}\^{5}/);
});

test("a cell with an error binds nothing, and the session keeps working", async () => {
  const session = new Session({ cwd: modelsDir() });
  const bad = await session.execute("x = 1\ny = nope", recorder().out);
  assert.equal(bad.status, "error");
  const r = await session.execute("x", recorder().out);
  assert.equal(r.status, "error");
  if (r.status === "error") assert.equal(r.error.ename, "unknown-name");
  const { out, got } = recorder();
  assert.equal((await session.execute("x = 4\nx + 1", out)).status, "ok");
  assert.equal(got.results[0]?.["text/plain"], "5");
});

test("warnings of a sound cell go to stderr and the cell still runs", async () => {
  const { session } = await sessionWithModels();
  const { out, got } = recorder();
  const r = await session.execute("m = ties(a, b, base: base, density: 0)\nprint(1)", out, { executionCount: 2 });
  assert.equal(r.status, "ok");
  assert.match(got.stderr, /warning.*trims-everything/);
  assert.match(got.stderr, /Cell In\[2\], line 1/);
  assert.equal(got.stdout, "1\n");
});

test("showing a model gives a summary table in text and HTML", async () => {
  const { session } = await sessionWithModels();
  const { out, got } = recorder();
  await session.execute("m = ties(a, b, base: base, density: 0.3)\nm", out);
  const bundle = got.results[0]!;
  assert.match(bundle["text/plain"], /^m = ties\(a, b, base: base, density: 0\.3\)/);
  assert.match(bundle["text/plain"], /merged model \(ties\)/);
  assert.match(bundle["text/plain"], /tensors\s+39/);
  assert.match(bundle["text/plain"], /parameters\s+197,184/);
  assert.match(bundle["text/plain"], /layers\s+4/);
  assert.match(String(bundle["text/html"]), /<table/);
});

test("a task vector shows per-layer statistics computed from the weights", async () => {
  const { session, dir } = await sessionWithModels();
  const { out, got } = recorder();
  assert.equal((await session.execute("a - base", out)).status, "ok");
  const text = got.results[0]!["text/plain"];
  // Recompute the total L2 norm of task_a − base from the files.
  const ra = new ModelReader(readModelHeader(join(dir, "models/tiny_f32/task_a")));
  const rb = new ModelReader(readModelHeader(join(dir, "models/tiny_f32/base")));
  let sumSq = 0;
  for (const name of ra.header.tensors.keys()) {
    const x = await ra.readF32(name);
    const y = await rb.readF32(name);
    for (let i = 0; i < x.length; i++) sumSq += (x[i]! - y[i]!) ** 2;
  }
  ra.close();
  rb.close();
  const totalLine = text.split("\n").find((l) => l.startsWith("total"))!;
  const l2 = Number(totalLine.split(/\s+/)[2]);
  assert.ok(Math.abs(l2 - Math.sqrt(sumSq)) / Math.sqrt(sumSq) < 1e-3, `L2 ${l2} vs ${Math.sqrt(sumSq)}`);
  assert.match(text, /layer 3/);
});

test("a trimmed task vector keeps about `density` of its entries", async () => {
  const { session } = await sessionWithModels();
  const { out, got } = recorder();
  await session.execute("trim(a - base, 0.25)", out);
  const totalLine = got.results[0]!["text/plain"].split("\n").find((l) => l.startsWith("total"))!;
  const nonzero = Number(/(\d+\.\d)%/.exec(totalLine)![1]);
  assert.ok(Math.abs(nonzero - 25) < 1, `non-zero ${nonzero}%`);
});

test("tensors read for one cell are reused by the next through the cache", async () => {
  const { session } = await sessionWithModels();
  await session.execute("a - base", recorder().out);
  const before = session.cache.stats();
  await session.execute("b - base", recorder().out);
  const after = session.cache.stats();
  assert.ok(after.hits - before.hits >= 39, "the base's tensors come from the cache");
});

test("%cache sets the cap and a cap of 0 keeps nothing", async () => {
  const { session } = await sessionWithModels();
  const { out, got } = recorder();
  assert.equal((await session.execute("%cache 0\na - base", out)).status, "ok");
  assert.match(got.stdout, /tensor cache cap: off/);
  assert.equal(session.cache.stats().entries, 0);
  await session.execute("%cache 2GB", recorder().out);
  assert.equal(session.cache.capBytes, 2e9);
});

test("a bad %cache size and an unknown magic are errors naming the line", async () => {
  const session = new Session({ cwd: modelsDir() });
  const r = await session.execute("x = 1\n%cache lots", recorder().out, { executionCount: 4 });
  assert.equal(r.status, "error");
  if (r.status === "error") {
    assert.equal(r.error.ename, "MagicError");
    assert.match(r.error.traceback.join("\n"), /Cell In\[4\], line 2/);
  }
  const u = await session.execute("%cach", recorder().out);
  assert.equal(u.status, "error");
  if (u.status === "error") assert.match(u.error.evalue, /did you mean %cache/);
});

test("%who lists bindings and %reset forgets them", async () => {
  const { session } = await sessionWithModels();
  const { out, got } = recorder();
  await session.execute("%who", out);
  assert.match(got.displays[0]!.bundle["text/plain"], /base\s+Model\s+model\("models\/tiny_f32\/base"\)/);
  await session.execute("%reset", recorder().out);
  assert.deepEqual(session.bindings(), []);
  assert.equal((await session.execute("a", recorder().out)).status, "error");
});

test("an interference report shows HTML, SVG, text and its data", async () => {
  const { session } = await sessionWithModels();
  const { out, got } = recorder();
  assert.equal((await session.execute("interference(a, b, base: base, density: 0.3)", out)).status, "ok");
  const b = got.results[0]!;
  assert.match(b["text/plain"], /sign conflict/);
  assert.match(String(b["text/html"]), /<svg|<table/);
  assert.match(String(b["image/svg+xml"]), /^<svg/);
  const data = b[REPORT_MIME] as { labels: string[]; density: number };
  assert.deepEqual(data.labels, ["a", "b"]);
  assert.equal(data.density, 0.3);
});

test("interference of a computed model asks for it to be saved first", async () => {
  const { session } = await sessionWithModels();
  const r = await session.execute("m = ties(a, b, base: base)\ninterference(m, a, base: base)", recorder().out, { executionCount: 3 });
  assert.equal(r.status, "error");
  if (r.status === "error") {
    assert.match(r.error.evalue, /'m' is computed in the recipe: save it first/);
    assert.match(r.error.traceback.join("\n"), /Cell In\[3\], line 2/);
  }
});

test("save shows progress in one display, updated in place, ending with the output path", async () => {
  const { session, dir } = await sessionWithModels();
  const { out, got } = recorder();
  const r = await session.execute('save(ties(a, b, base: base), "out/merged", dtype: "bf16")', out);
  assert.equal(r.status, "ok");
  assert.ok(got.displays.length >= 2);
  const ids = new Set(got.displays.map((d) => d.target?.id));
  assert.equal(ids.size, 1, "every update targets the same display");
  assert.equal(got.displays[0]!.target?.update, false);
  assert.ok(got.displays.slice(1).every((d) => d.target?.update === true));
  const last = got.displays[got.displays.length - 1]!.bundle["text/plain"];
  assert.match(last, /saved\s+out\/merged/);
  assert.match(last, /dtype\s+bf16/);
  assert.ok(existsSync(join(dir, "out/merged/model.safetensors")));
});

test("an aborted signal stops a save and leaves no output folder", async () => {
  const { session, dir } = await sessionWithModels();
  const controller = new AbortController();
  controller.abort();
  const r = await session.execute('save(ties(a, b, base: base), "out/stopped")', recorder().out, { signal: controller.signal });
  assert.equal(r.status, "error");
  if (r.status === "error") assert.equal(r.error.ename, "KeyboardInterrupt");
  assert.ok(!existsSync(join(dir, "out/stopped")));
  assert.equal((await session.execute("1", recorder().out)).status, "ok");
});

test("interrupt() stops a running save", async () => {
  const { session, dir } = await sessionWithModels();
  const { out } = recorder();
  let interrupted = false;
  const wrapped = {
    ...out,
    display: (...args: Parameters<typeof out.display>) => {
      out.display(...args);
      if (!interrupted) interrupted = session.interrupt();
    },
  };
  const r = await session.execute('save(ties(a, b, base: base), "out/interrupted")', wrapped);
  assert.ok(interrupted);
  assert.equal(r.status, "error");
  if (r.status === "error") assert.match(r.error.evalue, /interrupted: saving out\/interrupted stopped/);
  assert.ok(!existsSync(join(dir, "out/interrupted")));
  assert.equal(session.busy, false);
});

test("a runtime failure names the cell and line of the failing statement", async () => {
  const { session } = await sessionWithModels();
  // A save into a path under a regular file cannot be written.
  const r = await session.execute('x = 1\nsave(a, "models/tiny_f32/base/config.json/out")', recorder().out, { executionCount: 7 });
  assert.equal(r.status, "error");
  if (r.status === "error") {
    assert.notEqual(r.error.ename, "KeyboardInterrupt");
    assert.match(r.error.traceback.join("\n"), /Cell In\[7\], line 2/);
    assert.ok(!r.error.traceback.join("\n").includes("    at "), "no stack trace");
  }
});

test("an earlier cell that no longer checks is named, with the way out", async () => {
  const { session, dir } = await sessionWithModels();
  rmSync(join(dir, "models/tiny_f32/task_b"), { recursive: true });
  const r = await session.execute("1 + 1", recorder().out, { executionCount: 2 });
  assert.equal(r.status, "error");
  if (r.status === "error") {
    assert.equal(r.error.ename, "model-not-found");
    const tb = r.error.traceback.join("\n");
    assert.match(tb, /Cell In\[1\], line 3/);
    assert.match(tb, /%reset/);
  }
  await session.execute("%reset", recorder().out);
  assert.equal((await session.execute("1 + 1", recorder().out)).status, "ok");
});
