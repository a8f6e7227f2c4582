// Each save is reported when it is in place, and a cancellation after one says it was written (issue 23).
import assert from "node:assert/strict";
import { cpSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { checkRecipe } from "../../src/language/service.js";
import type { EngineProgress } from "../../src/engine/executor.js";
import { RunError, runGraph } from "../../src/runner/recipe-runner.js";
import { fixturesDir } from "../support/paths.js";
import { tempDir } from "../support/temp-dir.js";

function recipe(body: string): { dir: string; graph: NonNullable<ReturnType<typeof checkRecipe>["graph"]> } {
  const dir = tempDir("mergelang-saves-");
  cpSync(fixturesDir("reference", "models", "tiny_f32"), join(dir, "models"), { recursive: true });
  const text = `base = model("models/base")\na = model("models/task_a")\nb = model("models/task_b")\n${body}`;
  writeFileSync(join(dir, "r.merge"), text);
  const checked = checkRecipe(text, join(dir, "r.merge"));
  assert.deepEqual(checked.diagnostics.filter((d) => d.severity === "error"), []);
  return { dir, graph: checked.graph! };
}

test("a save is reported before the next one starts; cancelling then keeps it and says so", async () => {
  const { dir, graph } = recipe('save(linear(a, b), "out/first")\nsave(ties(a, b, base: base), "out/second")\n');
  const controller = new AbortController();
  const reported: string[] = [];
  let progressAfterFirst = 0;
  await assert.rejects(
    runGraph(graph, {
      threads: 1,
      signal: controller.signal,
      saved: (s) => {
        reported.push(s.path);
        assert.ok(existsSync(join(s.path, "model.safetensors")), "the folder is in place when it is reported");
        controller.abort(); // Ctrl-C right after the first save
      },
      progress: () => {
        if (reported.length > 0) progressAfterFirst++;
      },
    }),
    (e: unknown) => {
      assert.ok(e instanceof RunError && e.cancelled);
      assert.match(e.message, /^cancelled after writing .*out\/first; nothing else was written$/);
      return true;
    },
  );
  assert.deepEqual(reported, [join(dir, "out", "first")]);
  assert.equal(progressAfterFirst, 0, "the second save never started");
  assert.ok(existsSync(join(dir, "out", "first")));
  assert.ok(!existsSync(join(dir, "out", "second")));
});

test("a cancellation before any save completes says nothing was written", async () => {
  const { graph } = recipe('save(linear(a, b), "out/only")\n');
  const controller = new AbortController();
  await assert.rejects(
    runGraph(graph, { threads: 1, signal: controller.signal, progress: () => controller.abort() }),
    (e: unknown) => e instanceof RunError && e.message === "cancelled: no output was written",
  );
});

test("progress is one byte-weighted bar per save: statistics passes inside it, never going back", async () => {
  const { dir, graph } = recipe('save(ties(a, b, base: base, scope: "global"), "out/g")\n');
  const seen: EngineProgress[] = [];
  await runGraph(graph, { threads: 1, progress: (p) => seen.push({ ...p }) });
  assert.ok(seen.every((p) => p.path === join(dir, "out", "g")));
  const steps = [...new Set(seen.map((p) => p.step))];
  assert.equal(steps.at(-1), "writing");
  assert.match(steps[0]!, /^ties statistics, pass 1 of (up to )?\d+$/);
  const fractions = seen.map((p) => p.workDone / p.workTotal);
  for (let i = 1; i < fractions.length; i++) assert.ok(fractions[i]! >= fractions[i - 1]! - 1e-12, `progress went back at ${i}: ${fractions[i - 1]} → ${fractions[i]}`);
  assert.equal(fractions.at(-1), 1);
  // Weighted by elements: the first tensor written moves the bar by its share of the elements, not 1/39.
  const firstWrite = seen.findIndex((p) => p.step === "writing");
  const before = seen[firstWrite - 1]!;
  const w = seen[firstWrite]!;
  const total = w.workTotal;
  const writeShare = (w.workDone - before.workDone) / total;
  assert.ok(Math.abs(writeShare - 1 / 39) > 1e-3, "not counted in tensors");
  assert.ok(w.workDone / total > 0.4, "the statistics passes count as work done");
});
