import assert from "node:assert/strict";
import { test } from "node:test";
import type { AssignStmt, BinaryExpr, CallExpr, ListExpr, NumberLiteral, StringLiteral } from "../../src/language/ast.js";
import { parseRecipe } from "../../src/language/parse.js";

const firstValue = (src: string) => (parseRecipe(src).program.statements[0] as AssignStmt).value!;

test("numbers: integers, decimals, exponents and percentages", () => {
  const list = firstValue("x = [12, 0.25, 1e-4, 20%, 2.5e3%]") as ListExpr;
  assert.deepEqual(list.items.map((i) => (i as NumberLiteral).value), [12, 0.25, 1e-4, 0.2, 25]);
});

test("strings: escapes are decoded and exact ranges kept", () => {
  const s = firstValue('x = "a\\"b\\\\c\\nd\\te"') as StringLiteral;
  assert.equal(s.value, 'a"b\\c\nd\te');
  assert.equal(s.range.start.column, 5);
  assert.equal(s.range.end.column, 5 + s.raw.length);
});

test("precedence: * binds tighter than +, unary minus, parentheses", () => {
  const e = firstValue("x = 1 + 2 * -3") as BinaryExpr;
  assert.equal(e.op, "+");
  assert.equal((e.right as BinaryExpr).op, "*");
  assert.equal((e.right as BinaryExpr).right!.kind, "UnaryExpr");
});

test("a line starting with + or - continues the previous expression", () => {
  const r = parseRecipe("x = base\n  + 0.5 * (a - base)\n  - 1\ny = 2");
  assert.equal(r.program.statements.length, 2);
  assert.equal(((r.program.statements[0] as AssignStmt).value as BinaryExpr).op, "-");
});

test("semicolons are allowed and ignored; comments are kept aside", () => {
  const r = parseRecipe("a = 1; b = 2 # two\n# alone\n;");
  assert.equal(r.diagnostics.length, 0);
  assert.equal(r.program.statements.length, 2);
  assert.deepEqual(r.program.comments.map((c) => c.text), ["# two", "# alone"]);
});

test("where clauses attach to the call with glob and layer selectors", () => {
  const call = firstValue('m = ties(a, base: b)\n  where "*.mlp.*" { density: 0.4, lambda: 1 }\n  where layers 0..3 { density: ramp(0.6, 0.2) }\n  where layers 5 { density: 0.1 }') as CallExpr;
  assert.equal(call.where.length, 3);
  assert.equal(call.where[0]!.selector!.kind, "GlobSelector");
  const layers = call.where[1]!.selector!;
  assert.ok(layers.kind === "LayerSelector" && layers.from!.value === 0 && layers.to!.value === 3);
  const single = call.where[2]!.selector!;
  assert.ok(single.kind === "LayerSelector" && single.to === null);
  assert.equal(call.range.end.line, 4);
});

test("every node carries its exact source range", () => {
  const src = "merged = ties(math, code, base: base)";
  const s = parseRecipe(src).program.statements[0] as AssignStmt;
  const call = s.value as CallExpr;
  assert.equal(src.slice(call.range.start.offset, call.range.end.offset), "ties(math, code, base: base)");
  const arg = call.args[2]!;
  assert.equal(src.slice(arg.range.start.offset, arg.range.end.offset), "base: base");
  assert.equal(arg.name!.range.start.column, 27);
});

test("all syntax errors of a file are reported in one pass, in plain words", () => {
  const r = parseRecipe('a = ties(x, y\nb = [1, 2\nc = "open\nd = 1 +\ne = )\n');
  const lines = r.diagnostics.map((d) => d.range.start.line);
  for (const line of [1, 2, 3, 5]) assert.ok(lines.includes(line), `no error reported on line ${line}: ${JSON.stringify(r.diagnostics)}`);
  assert.match(r.diagnostics[0]!.message, /expected '\)' to close the call to ties\(\) opened at 1:9/);
  for (const d of r.diagnostics) assert.doesNotMatch(d.message, /Expecting|-->|<--|token of type|\{"kind"/);
});

test("an unclosed call does not swallow the next statements", () => {
  const r = parseRecipe("a = f(x\nb = g(1)\nc = h(2)");
  assert.equal(r.diagnostics.length, 1);
  assert.equal(r.program.statements.length, 3);
});

test("bad characters are reported and skipped", () => {
  const r = parseRecipe("a = 1 @ $\nb = 2");
  assert.deepEqual(r.diagnostics.map((d) => d.code), ["bad-character", "bad-character"]);
  assert.equal(r.program.statements.length, 2);
});
