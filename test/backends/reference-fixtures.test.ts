/**
 * Differential tests: every reference case through TensorFlow.js (its cpu backend; WASM when
 * @tensorflow/tfjs-backend-wasm is installed) matches the authors' expected tensors and the CPU
 * engine's output, within the fixtures' tolerance. Statistics of the larger tensors are counted on
 * the device (by SearchSorted, and by the gather search the GPU uses), of the smaller on the host.
 * (tfjs's cpu backend is slow: the tiny fixtures only.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { resolveDevice } from "../../src/backends/resolve.js";
import type { Backend } from "../../src/backends/backend.js";
import { countMismatches } from "../engine/compare.js";
import { builders, expectedOf, manifest, runOnFamily } from "./reference.js";
import { HISTOGRAM_MIN } from "./tfjs-setup.js";

const wasmInstalled = ((): boolean => {
  try {
    createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
    return true;
  } catch {
    return false;
  }
})();

function assertClose(actual: Map<string, Float32Array>, expected: Map<string, Float32Array>, bf16: boolean, what: string): void {
  const m = countMismatches(actual, expected, bf16);
  assert.ok(m.bad <= 1e-4 * m.total, `${what}: ${m.bad} of ${m.total} elements outside the tolerance; worst ${m.worst}`);
}

const devices: { label: string; skip: string | false; backend: () => Promise<Backend> }[] = [
  { label: "tfjs-cpu", skip: false, backend: () => resolveDevice("tfjs-cpu", { deviceHistogramMinElements: HISTOGRAM_MIN }) },
  { label: "tfjs-cpu, gather search", skip: false, backend: () => resolveDevice("tfjs-cpu", { deviceHistogramMinElements: HISTOGRAM_MIN, search: "gather" }) },
  {
    label: "wasm",
    skip: wasmInstalled ? false : "@tensorflow/tfjs-backend-wasm is not installed",
    backend: () => resolveDevice("wasm", { deviceHistogramMinElements: HISTOGRAM_MIN }),
  },
];

for (const device of devices) {
  for (const c of manifest.cases) {
    // The gather search (what the tensorflow backend uses) end to end on one global case; the
    // histogram tests compare it with the CPU selector on awkward values.
    if (device.label.includes("gather") && c.case !== "ties_global_d20") continue;
    test(`${device.label}: reference case ${c.case}`, { skip: device.skip }, async () => {
      const build = builders[c.case];
      assert.ok(build, `no graph for case ${c.case}`);
      const bf16 = c.out_dtype === "bf16";
      const onDevice = await runOnFamily(c.family, build, c.out_dtype, await device.backend());
      assertClose(onDevice, expectedOf(c), bf16, "against the expected tensors");
      const onCpu = await runOnFamily(c.family, build, c.out_dtype, undefined);
      assertClose(onDevice, onCpu, bf16, "against the CPU engine");
    });
  }
}
