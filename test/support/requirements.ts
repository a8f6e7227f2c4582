/**
 * What a test needs from outside npm (Debian packages, a browser), checked before the test runs.
 * Missing, a test is skipped with one line naming what is missing and the command that installs it;
 * with MERGELANG_TEST_ALL=1 (set by .ci/run) nothing may be skipped, so the test fails instead.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, test, type HookFn, type HookOptions, type TestFn, type TestOptions } from "node:test";

export interface Requirement {
  /** Shown in the skip line: what is missing. */
  readonly what: string;
  /** The command that installs it. */
  readonly install: string;
  readonly present: () => boolean;
}

function pythonImports(...modules: string[]): () => boolean {
  let cached: boolean | undefined;
  return () => {
    cached ??= spawnSync("/usr/bin/python3", ["-c", modules.map((m) => `import ${m}`).join("; ")], { stdio: "ignore" }).status === 0;
    return cached;
  };
}

export const JUPYTER: Requirement = {
  what: "Debian's Python Jupyter packages (jupyter_client, nbclient, nbformat)",
  install: "apt-get install python3-jupyter-client python3-nbclient python3-nbformat",
  present: pythonImports("jupyter_client", "nbclient", "nbformat"),
};

export const JUPYTER_KERNEL_TEST: Requirement = {
  what: "Debian's python3-jupyter-kernel-test (the Jupyter conformance suite)",
  install: "apt-get install python3-jupyter-kernel-test",
  present: pythonImports("jupyter_kernel_test"),
};

export const TORCH: Requirement = {
  what: "Debian's python3-torch",
  install: "apt-get install python3-torch",
  present: pythonImports("torch"),
};

/** Where Debian's chromium package puts the browser the tests drive. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

export const CHROMIUM: Requirement = {
  what: `Chromium (${CHROMIUM_PATH})`,
  install: "apt-get install chromium",
  present: () => existsSync(CHROMIUM_PATH),
};

export const NPM_REGISTRY: Requirement = {
  what: "the npm registry (npm install -g of the packed tarball fetches its dependencies)",
  install: "network access to the registry; check with npm ping",
  present: () => spawnSync(npmCommand(), ["ping"], { stdio: "ignore", timeout: 30_000, shell: process.platform === "win32" }).status === 0,
};

export function npmCommand(): string {
  return process.platform === "win32" ? "npm.cmd" : "npm";
}

/** Set by .ci/run: every test must run. */
export const testAll = (): boolean => process.env["MERGELANG_TEST_ALL"] === "1";

/**
 * The `skip` option for node:test: false when every requirement is present, else the reason.
 * Under MERGELANG_TEST_ALL=1 a missing requirement is not skipped: the tests run (and fail), and one
 * more test, registered here, fails at once naming what is missing, so the cause is the first thing read.
 */
export function skipUnless(...requirements: Requirement[]): string | false {
  const missing = requirements.filter((r) => !r.present());
  if (missing.length === 0) return false;
  const reason = `needs ${missing.map((r) => r.what).join(" and ")} (${missing.map((r) => r.install).join("; ")})`;
  if (!testAll()) return reason;
  test(`MERGELANG_TEST_ALL=1: ${reason}`, () => {
    throw new Error(`MERGELANG_TEST_ALL=1 allows no skipped test, and this suite ${reason}`);
  });
  return false;
}

export interface Gated {
  /** The skip reason (false when everything is present). */
  readonly skip: string | false;
  /** node:test's `test`, skipped with the reason when something is missing. */
  test(name: string, fn: TestFn): Promise<void>;
  test(name: string, options: TestOptions, fn: TestFn): Promise<void>;
  /** node:test's hooks, not registered when the tests are skipped (node runs hooks around skipped tests). */
  before(fn: HookFn, options?: HookOptions): void;
  after(fn: HookFn, options?: HookOptions): void;
}

/**
 * `test`, `before` and `after` for a suite that needs `requirements`: import them from here instead of
 * node:test, and each test is skipped with the reason (counted one by one in the skip summary) and
 * the hooks that would start the missing tools are left out.
 */
export function requiring(...requirements: Requirement[]): Gated {
  const skip = skipUnless(...requirements);
  const gatedTest = (name: string, a: TestOptions | TestFn, b?: TestFn): Promise<void> =>
    typeof a === "function" ? test(name, { skip }, a) : test(name, { ...a, skip: skip || (a.skip ?? false) }, b);
  return {
    skip,
    test: gatedTest,
    before: (fn, options) => (skip ? undefined : before(fn, options)),
    after: (fn, options) => (skip ? undefined : after(fn, options)),
  };
}
