import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { inspectInterference } from "../../src/inspect/inspect.js";
import { renderHtml } from "../../src/inspect/render-html.js";
import { renderSvg } from "../../src/inspect/render-svg.js";
import { renderText, WORST_MARK } from "../../src/inspect/render-text.js";
import { type Report, reportFromJson, reportToJson, summaryLine } from "../../src/inspect/report.js";
import { contrast, RAMP, rampColour } from "../../src/inspect/palette.js";
import { fixturesDir } from "../support/paths.js";
import { xmlProblems } from "./support.js";

const dir = fixturesDir("reference", "models", "tiny_f32");
const options = { base: join(dir, "base"), models: ["task_a", "task_b", "task_c"].map((t) => join(dir, t)) };
let cached: { exact: Report; sampled: Report; pcb: Report } | null = null;
async function reports(): Promise<{ exact: Report; sampled: Report; pcb: Report }> {
  cached ??= {
    exact: await inspectInterference({ ...options, density: 0.2 }),
    sampled: await inspectInterference({ ...options, density: 0.2, mode: "sampled", sampleElements: 20_000 }),
    pcb: await inspectInterference({ ...options, density: 0.2, by: "tensor", pcb: { ratio: 0.1 }, labels: ["math & <code>", "b", "c"] }),
  };
  return cached;
}

/** Column spans from the dashed rule under the header: [start, end) of each run of dashes. */
function columnSpans(rule: string): [number, number][] {
  return [...rule.matchAll(/-+/g)].map((m) => [m.index!, m.index! + m[0].length]);
}

test("text table: every row's cells sit inside the header's columns, numbers right-aligned", async () => {
  for (const r of Object.values(await reports())) {
    const lines = renderText(r).split("\n");
    const ruleAt = lines.findIndex((l) => /^-+( +-+)+$/.test(l));
    assert.ok(ruleAt > 0, "a rule under the header");
    const spans = columnSpans(lines[ruleAt]!);
    const rows = lines.slice(ruleAt - 1).filter((l) => l !== "" && !/^-/.test(l) && !l.startsWith(WORST_MARK) && !l.startsWith("±") && !l.startsWith("skipped"));
    assert.equal(rows.length, r.groups.length + 2, "header, one line per group, total");
    for (const row of rows) {
      spans.forEach(([start, end], k) => {
        const cell = row.slice(start, end);
        assert.ok(cell.trim().length > 0, `column ${k} empty in ${JSON.stringify(row)}`);
        if (end < row.length) assert.equal(row.slice(end, end + 2), "  ", `columns ${k}/${k + 1} run together in ${JSON.stringify(row)}`);
        // Numeric columns are right-aligned: the text ends at the column's edge (a mark may follow).
        if (k > 0 && !/[a-z]/.test(cell)) assert.ok(/\S[ !]?$/.test(cell), `column ${k} not right-aligned: ${JSON.stringify(cell)}`);
      });
    }
    const groupRows = rows.slice(1, -1);
    assert.deepEqual(groupRows.map((l) => l.slice(spans[0]![0], spans[0]![1]).trim()), r.groups.map((g) => g.label));
  }
});

test("text table: sampled values carry their interval, the worst rows are marked", async () => {
  const { exact, sampled } = await reports();
  const text = renderText(sampled);
  assert.match(text, /\d% ±\d/);
  assert.match(text, /sampled \(seed 0, 95% intervals\)/);
  const exactText = renderText(exact);
  assert.doesNotMatch(exactText, /±/);
  // The layer with the highest sign conflict is marked in that column.
  const worst = exact.groups.reduce((a, g) => (g.metrics.sign_conflict.value! > a.metrics.sign_conflict.value! ? g : a));
  const line = exactText.split("\n").find((l) => l.startsWith(worst.label + " "))!;
  assert.ok(line.includes(WORST_MARK), `worst row ${worst.label} is marked: ${line}`);
});

test("SVG is well-formed, namespaced, and has one row per group", async () => {
  for (const r of Object.values(await reports())) {
    const svg = renderSvg(r);
    assert.deepEqual(xmlProblems(svg), []);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const rows = [...svg.matchAll(/<g class="row" data-group="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(rows, r.groups.map((g) => g.key.replace(/&/g, "&amp;")));
    assert.equal((svg.match(/<g class="total"/g) ?? []).length, 1);
    assert.ok((svg.match(/<title>/g) ?? []).length > r.groups.length * 4, "hover titles on cells");
  }
});

test("SVG and HTML escape labels", async () => {
  const { pcb } = await reports();
  const svg = renderSvg(pcb);
  const html = renderHtml(pcb);
  assert.ok(svg.includes("math &amp; &lt;code&gt;"));
  assert.ok(!html.includes("<code>"), "a label cannot inject markup");
  assert.deepEqual(xmlProblems(svg), []);
});

test("HTML is self-contained: no network URLs, scripts, external styles or fonts", async () => {
  for (const r of Object.values(await reports())) {
    for (const html of [renderHtml(r), renderHtml(r, { fragment: true, title: "t" })]) {
      assert.doesNotMatch(html, /https?:/i);
      assert.doesNotMatch(html, /<script|<link|<iframe|<img|@import|@font-face|src=/i);
      assert.doesNotMatch(html, /url\((?!#)/, "only local gradient references");
      assert.match(html, /prefers-color-scheme: dark/);
      assert.match(html, /<g class="row"/);
    }
  }
  const { exact } = await reports();
  assert.match(renderHtml(exact), /^<!DOCTYPE html>/);
  assert.match(renderHtml(exact, { fragment: true }), /^<div class="mergelang-report">/);
});

test("JSON round-trips, and the summary line reads like a code lens", async () => {
  const { exact, sampled, pcb } = await reports();
  for (const r of [exact, sampled, pcb]) assert.deepEqual(reportFromJson(reportToJson(r)), r);
  assert.throws(() => reportFromJson(`{"format":"other"}`), /not an interference report/);
  assert.throws(() => reportFromJson(`{`), /not an interference report/);
  const line = summaryLine(exact);
  const pct = (x: number | null) => `${Math.round(x! * 100)}%`;
  assert.equal(
    line,
    `sign conflict ${pct(exact.total.sign_conflict.value)} · redundancy ${pct(exact.total.redundancy.value)} · lost to election ${pct(exact.total.lost_to_election.value)} · 3 models`,
  );
  assert.match(summaryLine(sampled), / · sampled$/);
});

test("the colour ramp's ends contrast with both light and dark backgrounds", () => {
  for (const background of ["#ffffff", "#1e1e1e"]) {
    for (const colour of [RAMP[0], RAMP[RAMP.length - 1], rampColour(0.5)]) {
      assert.ok(contrast(colour, background) >= 3, `${colour} on ${background}: ${contrast(colour, background).toFixed(2)}`);
    }
  }
  assert.equal(rampColour(0), RAMP[0]);
  assert.equal(rampColour(1), RAMP[RAMP.length - 1]);
  assert.notEqual(rampColour(0.25), rampColour(0.75));
});
