/**
 * The extension in a real VS Code (code-server) driven through Chromium, step by step. Each step is
 * a test; after a failure the rest are skipped, naming the step that broke. Screenshots go to
 * results/e2e/vscode/. Run with `npm run test:e2e`.
 *
 * MERGELANG_E2E_DROP=dist/server.cjs (comma-separated paths inside the extension) packs the .vsix
 * without those files, to watch the suite fail at the step that needs them.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { SCENARIO } from "./support/scenario.js";
import { Session } from "./support/session.js";
import { runStep } from "./support/steps.js";

const drop = (process.env.MERGELANG_E2E_DROP ?? "").split(",").filter(Boolean);
const session = new Session({ name: drop.length ? "vscode-dropped" : "vscode", dropFromVsix: drop });
let broken: string | null = null;

after(async () => {
  const problems = await session.dispose();
  assert.deepEqual(problems, [], "every process the suite started has stopped");
});

SCENARIO.forEach((step, i) => {
  test(step.name, { timeout: step.timeoutMs + 60_000 }, async (t) => {
    if (broken) return t.skip(`an earlier step failed: "${broken}"`);
    const started = Date.now();
    try {
      await runStep(session, step, i);
    } catch (e) {
      broken = step.name;
      throw e;
    }
    t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
