// Reports that read right (issue 23): a sample that read everything says "exact", PCB reports lead
// with their ratio, colours are on a labelled scale from 0 shared by equal values, files are titled.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { inspectInterference } from "../../src/inspect/inspect.js";
import { columnScale } from "../../src/inspect/highlights.js";
import { renderHtml } from "../../src/inspect/render-html.js";
import { renderSvg } from "../../src/inspect/render-svg.js";
import { renderText } from "../../src/inspect/render-text.js";
import { metricColumns, type Report } from "../../src/inspect/report.js";
import { fixturesDir } from "../support/paths.js";
import { xmlProblems } from "./support.js";

const dir = fixturesDir("reference", "models", "tiny_f32");
const options = { base: join(dir, "base"), models: ["task_a", "task_b"].map((t) => join(dir, t)), density: 0.2 };

test("a sampled report that read every element shows no ±0 and says it is exact", async () => {
  const report = await inspectInterference({ ...options, mode: "sampled", sampleElements: 10_000_000 });
  assert.equal(report.total.sampled, report.total.elements, "the tiny models are read in full");
  const text = renderText(report);
  assert.doesNotMatch(text, /±/);
  assert.match(text.split("\n")[0]!, /· exact \(the sample read every element\)$/);
  assert.doesNotMatch(renderHtml(report), /CI |Sampled:/);
});

test("a PCB report leads with its ratio", async () => {
  const report = await inspectInterference({ ...options, density: 0.1, pcb: { ratio: 0.1 } });
  assert.match(renderText(report).split("\n")[0]!, /^Interference of task_a, task_b · PCB ratio 0\.1 · TIES columns at density 0\.1 · /);
});

test("colour scales run from 0 to a round bound past the worst value, so close values look alike", async () => {
  const report = await inspectInterference(options);
  const columns = metricColumns(report);
  const conflict = columns.find((c) => c.id === "sign_conflict")!;
  // Two rows 4.3% and 5.6%: both in the lower-middle of a 0–10% scale, not blue against red.
  const two: Report = {
    ...report,
    groups: [0.043, 0.056].map((v, i) => ({ ...report.groups[i]!, metrics: { ...report.groups[i]!.metrics, sign_conflict: { value: v } } })),
  };
  const scale = columnScale(two, conflict);
  assert.deepEqual([scale.low, scale.high], [0, 0.1]);
  assert.ok(Math.abs(scale.heat(0.056) - scale.heat(0.043)) < 0.2);
  const cosine = columnScale(two, columns.find((c) => c.id === "cosine")!);
  assert.ok(cosine.low <= 0 && cosine.high >= 0, "cosine's scale includes 0");
  const svg = renderSvg(two);
  assert.match(svg, />0% – 10\.0%</, "the scale is labelled under the column title");
});

test("standalone files are titled with the recipe and line", async () => {
  const report = await inspectInterference(options);
  const svg = renderSvg(report, { title: "r.merge:4: interference()" });
  assert.deepEqual(xmlProblems(svg), []);
  assert.match(svg, /<title>r\.merge:4: interference\(\) · Interference of task_a, task_b · density 0\.2/);
  assert.match(svg, /<text [^>]*font-weight="600">r\.merge:4: interference\(\)<\/text>/);
  assert.match(renderHtml(report, { title: "r.merge:4: interference()" }), /<title>r\.merge:4: interference\(\)<\/title>/);
});
