import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { inspectInterference } from "../../src/inspect/inspect.js";
import { renderHtml } from "../../src/inspect/render-html.js";
import { renderSvg } from "../../src/inspect/render-svg.js";
import { fixturesDir } from "../support/paths.js";
import { decodePng, greyVariance } from "./support.js";
import { CHROMIUM, CHROMIUM_PATH, requiring } from "../support/requirements.js";
import { tempDir } from "../support/temp-dir.js";

const { test } = requiring(CHROMIUM);

test("the HTML report renders in headless Chromium: one heat-map row per layer, not blank, both themes", { timeout: 120_000 }, async () => {
  const dir = fixturesDir("reference", "models", "tiny_f32");
  const report = await inspectInterference({
    base: join(dir, "base"),
    models: ["task_a", "task_b", "task_c"].map((t) => join(dir, t)),
    density: 0.2,
  });
  const html = renderHtml(report);
  const profile = tempDir("inspect-chromium-");
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: { width: 1100, height: 900 },
  });
  try {
    const page = await context.newPage();
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    const colours: Record<string, { background: string; heading: string }> = {};
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setContent(html, { waitUntil: "load" });
      const rows = await page.locator("svg.ml-heatmap g.row").evaluateAll((els) => els.map((e) => e.getAttribute("data-group")));
      assert.deepEqual(rows, report.groups.map((g) => g.key), "one row per group, in order");
      assert.deepEqual(rows, ["embeddings", "layers.0", "layers.1", "layers.2", "layers.3", "head", "other"]);
      const png = decodePng(await page.screenshot({ fullPage: true }));
      assert.ok(png.width >= 600 && png.height >= 400, `screenshot ${png.width}×${png.height}`);
      assert.ok(greyVariance(png) > 100, `the screenshot is not blank (grey variance ${greyVariance(png).toFixed(1)})`);
      // Page scripts are strings: this project compiles without the DOM's types.
      colours[scheme] = await page.evaluate<{ background: string; heading: string }>(
        `({ background: getComputedStyle(document.body).backgroundColor, heading: getComputedStyle(document.querySelector("h1")).color })`,
      );
      // The heat map's own text follows the theme too.
      const label = await page.evaluate<string>(`getComputedStyle(document.querySelector("svg.ml-heatmap g.row text")).fill`);
      assert.equal(label, colours[scheme]!.heading);
    }
    assert.equal(colours.light!.background, "rgb(255, 255, 255)");
    assert.equal(colours.dark!.background, "rgb(30, 30, 30)");
    assert.notEqual(colours.light!.heading, colours.dark!.heading);
    // The standalone SVG parses as XML in the browser's own parser.
    const problems = await page.evaluate<{ error: number; rows: number; root: string }>(
      `(() => {
        const doc = new DOMParser().parseFromString(${JSON.stringify(renderSvg(report))}, "image/svg+xml");
        return {
          error: doc.getElementsByTagName("parsererror").length,
          rows: doc.querySelectorAll("g.row").length,
          root: doc.documentElement.namespaceURI,
        };
      })()`,
    );
    assert.deepEqual(problems, { error: 0, rows: report.groups.length, root: "http://www.w3.org/2000/svg" });
    assert.deepEqual(requests.filter((u) => /^https?:/.test(u)), [], "the report fetches nothing");
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
