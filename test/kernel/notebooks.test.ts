/**
 * The example notebooks run top to bottom with Debian's nbclient on freshly generated example models,
 * with no error output, and show what they are about (reports, statistics, a saved model).
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe } from "node:test";
import { generateExampleModels } from "../../src/demo/example-models.js";
import { repoRoot } from "../support/paths.js";
import { jupyterEnv, PYTHON, run, tempDir } from "./support.js";
import { JUPYTER, requiring } from "../support/requirements.js";

const { before, test } = requiring(JUPYTER);

interface CellSummary {
  source: string;
  execution_count: number | null;
  outputs: { output_type: string; mimes: string[]; ename: string | null; text: string }[];
}

/** The example notebooks written for this kernel (quality.ipynb is a tslab notebook, tested in test/quality). */
const examples = (): string[] =>
  readdirSync(join(repoRoot(), "examples"))
    .filter((f) => f.endsWith(".ipynb"))
    .filter((f) => (JSON.parse(readFileSync(join(repoRoot(), "examples", f), "utf8")) as { metadata?: { kernelspec?: { name?: string } } }).metadata?.kernelspec?.name === "mergelang")
    .sort();

describe("example notebooks", () => {
  let dir: string;
  before(async () => {
    dir = tempDir("notebooks");
    await generateExampleModels(join(dir, "models"));
  });

  test("there are example notebooks", () => {
    assert.ok(examples().length >= 2);
  });

  for (const name of examples()) {
    test(`${name} runs top to bottom without errors`, { timeout: 300_000 }, async () => {
      copyFileSync(join(repoRoot(), "examples", name), join(dir, name));
      const { env, root } = jupyterEnv();
      const summary = join(root, "summary.json");
      try {
        const r = await run(PYTHON, [join(repoRoot(), "test", "kernel", "run_notebook.py"), join(dir, name), summary], { cwd: dir, env, timeoutMs: 280_000 });
        assert.equal(r.timedOut, false, `${name} timed out`);
        assert.equal(r.code, 0, r.stderr.slice(-4000));
        const result = JSON.parse(readFileSync(summary, "utf8")) as { failure: string | null; cells: CellSummary[] };
        assert.equal(result.failure, null);
        for (const cell of result.cells) {
          assert.notEqual(cell.execution_count, null, `not run: ${cell.source}`);
          const errors = cell.outputs.filter((o) => o.output_type === "error");
          assert.deepEqual(errors, [], `error in cell:\n${cell.source}`);
        }
        const reports = result.cells.filter((c) => c.source.includes("interference(")).flatMap((c) => c.outputs);
        for (const o of reports) assert.ok(o.mimes.includes("image/svg+xml") && o.mimes.includes("text/html"));
        // A slow statistics pass also shows its progress line (only when it took long enough): the
        // task vector's summary is among the cell's outputs either way.
        for (const cell of result.cells.filter((c) => /- base$/.test(c.source.trim()))) {
          assert.ok(cell.outputs.some((o) => /non-zero/.test(o.text)), `no summary of the task vector:\n${JSON.stringify(cell.outputs)}`);
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }

  test("compare-methods.ipynb saved its model", () => {
    if (!existsSync(join(dir, "compare-methods.ipynb"))) return;
    assert.ok(existsSync(join(dir, "out", "notebook-ties-20", "model.safetensors")));
  });
});
