/** The Jupyter project's own kernel conformance suite (jupyter_kernel_test), run against this kernel. */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../support/paths.js";
import { jupyterEnv, modelsDir, PYTHON, run } from "./support.js";
import { JUPYTER, JUPYTER_KERNEL_TEST, requiring } from "../support/requirements.js";

const { test } = requiring(JUPYTER, JUPYTER_KERNEL_TEST);

test("jupyter_kernel_test.KernelTests passes", { timeout: 300_000 }, async () => {
  const dir = modelsDir();
  const { env, root } = jupyterEnv();
  try {
    const r = await run(PYTHON, [join(repoRoot(), "test", "kernel", "conformance.py"), "-v"], {
      cwd: dir,
      env: { ...env, PYTHONDONTWRITEBYTECODE: "1" },
      timeoutMs: 280_000,
    });
    const summary = r.stderr.split("\n").filter((l) => / \.\.\. |^Ran |^OK|^FAILED/.test(l));
    console.log(summary.join("\n"));
    assert.equal(r.timedOut, false, "the suite timed out");
    assert.equal(r.code, 0, `the conformance suite failed:\n${r.stderr.slice(-6000)}`);
    assert.match(r.stderr, /^OK/m);
    // Every test the suite can run with our samples ran (only the pager and clear_output are skipped).
    const skipped = summary.filter((l) => / \.\.\. skipped/.test(l));
    assert.ok(skipped.every((l) => /test_pager|test_clear_output/.test(l)), `unexpected skips:\n${skipped.join("\n")}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
