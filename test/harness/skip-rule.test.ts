/**
 * The skip rule end to end: a suite needing something missing is skipped test by test with the reason
 * and its hooks left out, the skip-summary reporter lists the group with its count, and
 * MERGELANG_TEST_ALL=1 turns the same run into a failure that names what is missing.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { run, tempDir } from "../kernel/support.js";

const requirementsUrl = new URL("../support/requirements.js", import.meta.url).href;
const reporterUrl = new URL("../support/skip-summary.js", import.meta.url).href;

const SUITE = `
import assert from "node:assert/strict";
import { describe } from "node:test";
import { requiring } from ${JSON.stringify(requirementsUrl)};

const fake = { what: "the fake tool", install: "apt-get install fake", present: () => false };
const here = { what: "a present tool", install: "nothing", present: () => true };

describe("needs the fake tool", () => {
  const { before, after, test } = requiring(fake);
  before(() => { throw new Error("the before hook ran although its tests are skipped"); });
  after(() => { throw new Error("the after hook ran although its tests are skipped"); });
  test("first", () => assert.fail("ran"));
  test("second", { timeout: 1000 }, () => assert.fail("ran"));
});

requiring(here).test("runs when everything is present", () => {});
`;

async function runSuite(env: NodeJS.ProcessEnv) {
  const dir = tempDir("skip-rule");
  const file = join(dir, "needs.test.mjs");
  writeFileSync(file, SUITE);
  const args = ["--test", "--test-reporter=spec", "--test-reporter-destination=stdout", `--test-reporter=${reporterUrl}`, "--test-reporter-destination=stdout", file];
  return run(process.execPath, args, { cwd: dir, env, timeoutMs: 60_000 });
}

/** This process's environment, less the variable under test and node:test's marker for its own children. */
function withoutTestAll(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env["MERGELANG_TEST_ALL"];
  delete env["NODE_TEST_CONTEXT"];
  return env;
}

test("a missing requirement skips each test with the reason, without its hooks, and the summary counts them", async () => {
  const r = await runSuite(withoutTestAll());
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /﹣ first .*# needs the fake tool \(apt-get install fake\)/);
  assert.match(r.stdout, /^ℹ skipped 2$/m);
  assert.match(r.stdout, /^ℹ pass 1$/m);
  assert.match(r.stdout, /^﹣ skipped 2 tests: needs the fake tool \(apt-get install fake\)$/m);
  assert.match(r.stdout, /^ℹ skipped groups: needs the fake tool \(2 tests\); 2 tests in all/m);
  assert.doesNotMatch(r.stdout, /hook ran/);
});

test("MERGELANG_TEST_ALL=1 fails the run, naming what is missing", async () => {
  const r = await runSuite({ ...withoutTestAll(), MERGELANG_TEST_ALL: "1" });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /✖ MERGELANG_TEST_ALL=1: needs the fake tool \(apt-get install fake\)/);
  assert.match(r.stdout, /^ℹ skipped groups: none$/m);
  assert.match(r.stdout, /^ℹ skipped 0$/m);
});
