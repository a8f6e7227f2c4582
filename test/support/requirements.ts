/**
 * What a test needs from outside npm (Debian packages, a browser), checked before the test runs.
 * Missing, a test is skipped with one line naming what is missing and the command that installs it;
 * with MERGELANG_TEST_ALL=1 (set by .ci/run) nothing may be skipped, so the test fails instead.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

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

export const CHROMIUM: Requirement = {
  what: "Chromium (/usr/bin/chromium)",
  install: "apt-get install chromium",
  present: () => existsSync("/usr/bin/chromium"),
};

/**
 * The `skip` option for node:test: false when every requirement is present, else the reason.
 * Under MERGELANG_TEST_ALL=1 a missing requirement is not skipped: the test runs and fails.
 */
export function skipUnless(...requirements: Requirement[]): string | false {
  const missing = requirements.filter((r) => !r.present());
  if (missing.length === 0 || process.env["MERGELANG_TEST_ALL"] === "1") return false;
  return `needs ${missing.map((r) => r.what).join(" and ")} (${missing.map((r) => r.install).join("; ")})`;
}
