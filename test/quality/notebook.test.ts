/**
 * examples/quality.ipynb runs top to bottom in tslab's TypeScript kernel (driven by Debian's nbclient)
 * and shows the results table, the chart and the interference reports of the TIES and PCB merges.
 * The notebook imports `../dist/...`; here it runs from a temporary `examples/` whose `../dist` is
 * the compiled tree this test belongs to (dist/ or .build/NAME/), so it checks the code just built.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe } from "node:test";
import { DEFAULT_METHODS } from "../../bench/quality/recipes.js";
import { repoRoot } from "../support/paths.js";
import { jupyterEnv, PYTHON, run, tempDir } from "../kernel/support.js";
import { killProcessesMentioning } from "./processes.js";
import { JUPYTER, requiring } from "../support/requirements.js";

const { before, test } = requiring(JUPYTER);

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}
interface Cell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: Output[];
}

const joined = (s: string | string[] | undefined): string => (Array.isArray(s) ? s.join("") : (s ?? ""));
const compiledRoot = fileURLToPath(new URL("../../", import.meta.url));

describe("examples/quality.ipynb", () => {
  let cells: Cell[];
  let failure: string | null;
  let examplesDir: string;
  let seconds: number;

  before(async () => {
    assert.ok(existsSync(join(compiledRoot, "bench", "quality", "experiment.js")), `no compiled experiment under ${compiledRoot}`);
    const dir = tempDir("quality-notebook");
    examplesDir = join(dir, "examples");
    mkdirSync(examplesDir);
    symlinkSync(compiledRoot, join(dir, "dist"), "dir");
    const notebook = join(examplesDir, "quality.ipynb");
    copyFileSync(join(repoRoot(), "examples", "quality.ipynb"), notebook);
    const { env, root } = jupyterEnv();
    const summary = join(root, "summary.json");
    const started = performance.now();
    try {
      const r = await run(PYTHON, [join(repoRoot(), "test", "kernel", "run_notebook.py"), notebook, summary], { cwd: examplesDir, env, timeoutMs: 540_000 });
      seconds = (performance.now() - started) / 1000;
      assert.equal(r.timedOut, false, "the notebook did not finish in 9 minutes");
      assert.equal(r.code, 0, r.stderr.slice(-4000));
      failure = (JSON.parse(readFileSync(summary, "utf8")) as { failure: string | null }).failure;
      cells = (JSON.parse(readFileSync(summary + ".ipynb", "utf8")) as { cells: Cell[] }).cells;
    } finally {
      // The kernel's argv names its connection file under `root`: nothing else mentions that folder.
      killProcessesMentioning(root);
      rmSync(root, { recursive: true, force: true });
    }
  }, { timeout: 600_000 });

  const code = (): Cell[] => cells.filter((c) => c.cell_type === "code");
  const outputs = (): Output[] => code().flatMap((c) => c.outputs ?? []);
  const rich = (mime: string): string[] => outputs().flatMap((o) => (o.data?.[mime] === undefined ? [] : [joined(o.data[mime])]));

  test("every cell runs, with no error and nothing on stderr", (t) => {
    t.diagnostic(`notebook ran in ${seconds.toFixed(0)} s`);
    assert.equal(failure, null);
    for (const cell of code()) {
      assert.equal(typeof cell.execution_count, "number", `not run:\n${joined(cell.source)}`);
      const bad = (cell.outputs ?? []).filter((o) => o.output_type === "error" || o.name === "stderr");
      assert.deepEqual(bad, [], `error in cell:\n${joined(cell.source)}`);
    }
  });

  test("shows the results table: both bounds and every method, accuracies in percent", () => {
    const table = rich("text/markdown").find((m) => m.includes("| Method | Setting (validation) |"));
    assert.ok(table, "no results table");
    const rows = table.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| Method") && !l.startsWith("| ---"));
    const labels = ["Pre-trained, zero-shot (lower bound)", "Fine-tuned, one per task (upper bound)", ...DEFAULT_METHODS.map((m) => m.label)];
    assert.deepEqual(rows.map((r) => r.split(" | ")[0]!.slice(2)), labels);
    for (const row of rows) {
      const numbers = row.split("|").slice(3, -1).map((c) => Number(c.trim()));
      assert.equal(numbers.length, 6, row); // four tasks, average, normalised
      for (const n of numbers) assert.ok(n >= 0 && n <= 100, row);
    }
    assert.match(rows[1]!, /\| 100\.0 \|$/, "the fine-tuned row is its own normalisation");
  });

  test("shows the chart as SVG", () => {
    const chart = rich("text/html").find((h) => h.startsWith("<svg"));
    assert.ok(chart, "no chart");
    assert.match(chart, /Test accuracy per task/);
    assert.match(chart, /<\/svg>\s*$/);
  });

  test("shows the per-layer interference behind the TIES and the PCB merges", () => {
    const reports = rich("text/html").filter((h) => h.includes('class="mergelang-report"'));
    const titles = reports.map((h) => /<h1>([^<]*)<\/h1>/.exec(h)?.[1] ?? "");
    assert.ok(titles.some((t) => /TIES/.test(t) && !/PCB/.test(t)), titles.join("\n"));
    assert.ok(titles.some((t) => /PCB/.test(t) && /PCB ratio/.test(t)), titles.join("\n"));
    for (const h of reports) {
      assert.match(h, /by layer/);
      for (const layer of ["layer 0", "layer 1", "layer 2"]) assert.ok(h.includes(`<td>${layer}</td>`), `no row for ${layer}`);
    }
  });

  test("shows the recipe of the chosen TIES merge and saves results.md and chart.svg", () => {
    assert.ok(rich("text/markdown").some((m) => /merged = ties\(upright, rotated, inverted, mirrored, base: base, density: /.test(m)));
    const out = join(examplesDir, "out", "quality-notebook");
    assert.match(readFileSync(join(out, "results.md"), "utf8"), /## Interference behind each merge/);
    assert.match(readFileSync(join(out, "chart.svg"), "utf8"), /^<svg/);
  });
});
