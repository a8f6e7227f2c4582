/**
 * The suite must catch a broken package and say where: a .vsix packed without its language server
 * (dist/server.cjs) still installs and highlights, but the first step that needs the server fails,
 * and the failure names that step and shows what VS Code said. Screenshots: results/e2e/broken-server/.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SCENARIO } from "./support/scenario.js";
import { Session } from "./support/session.js";
import { runStep, StepFailure } from "./support/steps.js";

const FIRST_STEP_NEEDING_THE_SERVER = "diagnostics: a recipe with errors shows squiggles and its problems";

test("a .vsix without its language server fails at the diagnostics step, naming it", { timeout: 8 * 60_000 }, async () => {
  const session = new Session({ name: "broken-server", dropFromVsix: ["dist/server.cjs"] });
  let failure: unknown = null;
  const passed: string[] = [];
  try {
    for (const [i, step] of SCENARIO.entries()) {
      try {
        await runStep(session, step, i);
        passed.push(step.name);
      } catch (e) {
        failure = e;
        break;
      }
    }
  } finally {
    assert.deepEqual(await session.dispose(), [], "every process the suite started has stopped");
  }
  assert.ok(failure instanceof StepFailure, `expected a failed step; passed: ${passed.join("; ")}; got ${String(failure)}`);
  assert.equal(failure.step, FIRST_STEP_NEEDING_THE_SERVER, failure.message);
  assert.ok(failure.message.startsWith(`e2e step "${FIRST_STEP_NEEDING_THE_SERVER}" failed: `), failure.message);
  // It says why: the client's log shows the server process could not start.
  assert.match(failure.message, /the language server stopped, so no 2 error squiggles from the language server/);
  assert.match(failure.message, /server\.cjs/);
  // Everything before it works without the server: installing, opening, the grammar.
  assert.deepEqual(passed, SCENARIO.slice(0, passed.length).map((s) => s.name));
  assert.ok(passed.some((name) => name.startsWith("grammar:")));
  console.log(`# the failure as the suite reports it:\n${failure.message.replace(/^/gm, "#   ")}`);
});
