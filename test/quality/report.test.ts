import { test } from "node:test";
import assert from "node:assert/strict";
import { gridTable, resultsTable } from "../../bench/quality/report-markdown.js";
import { resultsChart } from "../../bench/quality/report-svg.js";
import { makeRow, type QualityResults } from "../../bench/quality/results.js";

const tasks = ["upright", "rotated"];
const fineTuned = { upright: 0.9, rotated: 0.8 };
const results: QualityResults = {
  seed: 1,
  tasks,
  testSize: 100,
  validationSize: 50,
  rows: [
    makeRow("pretrained", "Pre-trained (zero-shot)", "lower", "—", null, { upright: 0.3, rotated: 0.2 }, fineTuned, tasks),
    makeRow("finetuned", "Fine-tuned", "upper", "—", null, fineTuned, fineTuned, tasks),
    makeRow("ties", "TIES <global> & co", "merge", "density 0.2, lambda 1", 0.6, { upright: 0.72, rotated: 0.4 }, fineTuned, tasks),
  ],
};

test("rows carry the average and the normalised accuracy", () => {
  const ties = results.rows[2]!;
  assert.ok(Math.abs(ties.average - 0.56) < 1e-12);
  assert.ok(Math.abs(ties.normalised - (0.72 / 0.9 + 0.4 / 0.8) / 2) < 1e-12);
  assert.equal(results.rows[1]!.normalised, 1);
});

test("the Markdown table has one row per method, percentages with one decimal", () => {
  const lines = resultsTable(results).trim().split("\n");
  assert.equal(lines[0], "| Method | Setting (validation) | upright | rotated | Avg | Norm |");
  assert.equal(lines.length, 2 + 3);
  assert.equal(lines[2], "| Pre-trained (zero-shot) (lower bound) | — | 30.0 | 20.0 | 25.0 | 29.2 |");
  assert.equal(lines[4], "| TIES <global> & co | density 0.2, lambda 1 | 72.0 | 40.0 | 56.0 | 65.0 |");
  const grid = gridTable("TIES", [{ point: { lambda: 1 }, validation: { upright: 0.5, rotated: 0.25 }, validationAverage: 0.375 }], tasks);
  assert.ok(grid.includes("| lambda 1 | 50.0 | 25.0 | 37.5 |"));
});

test("the chart has one bar per method and group, escaped labels, and a legend", () => {
  const svg = resultsChart(results);
  assert.ok(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  const bars = svg.match(/<rect [^>]*><title>/g) ?? [];
  assert.equal(bars.length, 3 * (tasks.length + 1));
  assert.ok(svg.includes("TIES &lt;global&gt; &amp; co"));
  assert.ok(!svg.includes("<global>"));
  assert.ok(svg.includes("Fine-tuned (upper bound)"));
  // A taller bar for a higher accuracy: upright's TIES (72%) above rotated's (40%).
  const height = (label: string): number => Number(new RegExp(`height="([\\d.]+)" fill="[^"]+"><title>${label}`).exec(svg)![1]);
  assert.ok(height("TIES &lt;global&gt; &amp; co, upright") > height("TIES &lt;global&gt; &amp; co, rotated"));
});
