import assert from "node:assert/strict";
import { test } from "node:test";
import { Session } from "../../src/session/index.js";
import { recorder } from "./collect.js";
import { modelsDir } from "./support.js";

async function session(): Promise<Session> {
  const s = new Session({ cwd: modelsDir() });
  const r = await s.execute('base = model("models/tiny_f32/base")\ntask_a = model("models/tiny_f32/task_a")\nn = 3', recorder().out, { executionCount: 1 });
  assert.equal(r.status, "ok");
  return s;
}

const texts = (s: Session, code: string, cursor = code.length): string[] => s.complete(code, cursor).items.map((i) => i.text);

test("completion: names from earlier cells, functions and keywords by prefix", async () => {
  const s = await session();
  assert.deepEqual(texts(s, "ta"), ["task_a", "task_arithmetic"]);
  assert.deepEqual(texts(s, "x = tr"), ["trim", "true"]);
  const c = s.complete("x = ba", 6);
  assert.equal(c.start, 4);
  assert.equal(c.items[0]?.kind, "variable");
  assert.equal(c.items[0]?.detail, "Model");
});

test("completion: a call's parameters not given yet, then values", async () => {
  const s = await session();
  const items = texts(s, "ties(task_a, base: base, ");
  assert.ok(items.includes("density: "));
  assert.ok(!items.includes("base: "), "base is already given");
  assert.ok(items.includes("task_a"));
  assert.deepEqual(texts(s, "pcb(task_a, base: base, r"), ["ratio: ", "ram", "ramp"]);
});

test("completion: choices of an enumerated parameter, inside and outside quotes", async () => {
  const s = await session();
  assert.deepEqual(texts(s, 'ties(task_a, base: base, scope: "g'), ['global"']);
  assert.deepEqual(texts(s, "ties(task_a, base: base, consensus: "), ['"sum"', '"count"']);
  assert.deepEqual(texts(s, "ties(task_a, base: base, normalize: f"), ["false"]);
});

test("completion: per-tensor parameters in a where block, layers after where", async () => {
  const s = await session();
  assert.deepEqual(texts(s, 'ties(task_a, base: base) where "*.mlp.*" { '), ["density: ", "lambda: ", "weights: "]);
  assert.deepEqual(texts(s, "ties(task_a, base: base) where la"), ["layers "]);
});

test("completion: model folders inside model(\"...\")", async () => {
  const s = await session();
  assert.deepEqual(texts(s, 'm = model("models/'), ["models/tiny_bf16/", "models/tiny_f32/"]);
  const deeper = s.complete('m = model("models/tiny_f32/ta', 29);
  assert.deepEqual(deeper.items.map((i) => [i.text, i.detail]), [["models/tiny_f32/task_a", "model folder"], ["models/tiny_f32/task_b", "model folder"], ["models/tiny_f32/task_c", "model folder"]]);
  assert.equal(deeper.start, 11);
});

test("completion: magic names on a % line", async () => {
  const s = await session();
  assert.deepEqual(texts(s, "%ca"), ["cache"]);
});

test("inspection: functions, parameters, bound names with header facts, keywords", async () => {
  const s = await session();
  const f = s.inspect("pcb(task_a, base: base)", 1)!;
  assert.match(f.markdown, /PCB-Merging/);
  assert.match(f.plain, /ratio \(Number, default 0.1/);
  const p = s.inspect("ties(task_a, base: base, density: 0.3)", 28)!;
  assert.match(p.plain, /share of each task vector's largest-magnitude entries kept/);
  const b = s.inspect("task_a", 3)!;
  assert.match(b.plain, /task_a is a model, bound in Cell In\[1\], line 2/);
  assert.match(b.plain, /39 tensors, 197,184 parameters, F32, 4 layers/);
  const n = s.inspect("n", 0)!;
  assert.match(n.plain, /Value: 3/);
  assert.match(s.inspect("m = ties(a) where", 15)!.plain, /Per-tensor parameters/);
  assert.equal(s.inspect("   ", 1), null);
});

test("inspection inside a call's parentheses documents the call", async () => {
  const s = await session();
  assert.match(s.inspect("task_arithmetic(task_a, ", 24)!.plain, /Add the sum of the task vectors/);
});
