/** `--device` names: what each gives, and what the user reads when a device cannot be used. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpuBackend } from "../../src/backends/cpu.js";
import { DeviceError } from "../../src/backends/errors.js";
import { CUDA_LIBRARIES, type SystemView, gpuProblems } from "../../src/backends/gpu-probe.js";
import { type DeviceEnvironment, resolveDevice, resolveDeviceWith } from "../../src/backends/resolve.js";

/** A Linux machine with the given files, and packages that are installed (and load) or not. */
function machine(files: string[], packages: Record<string, "ok" | Error> = {}, env: Record<string, string> = {}): DeviceEnvironment & { loaded: string[] } {
  const set = new Set(files);
  const system: SystemView = {
    platform: "linux",
    env: { ...env },
    exists: (p) => set.has(p),
    listDir: (p) => files.filter((f) => f.startsWith(p + "/")).map((f) => f.slice(p.length + 1).split("/")[0]!),
    linkerCache: () => [],
  };
  const loaded: string[] = [];
  return {
    system,
    loaded,
    hasPackage: (name) => name in packages,
    load: (name) => {
      const p = packages[name];
      if (p === undefined) return Promise.reject(new Error(`Cannot find package '${name}'`));
      if (p instanceof Error) return Promise.reject(p);
      loaded.push(name);
      return Promise.resolve({});
    },
  };
}

const cudaDir = "/usr/local/cuda/lib64";
const withGpu = ["/proc/driver/nvidia/gpus/0000:01:00.0", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", ...CUDA_LIBRARIES.linux.map((l) => `${cudaDir}/${l}`)];

async function rejection(p: Promise<unknown>): Promise<DeviceError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DeviceError, `a DeviceError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the device to be refused");
}

test("cpu is the CPU engine; tfjs-cpu is TensorFlow.js on its cpu backend", async () => {
  assert.equal(await resolveDevice("cpu"), cpuBackend);
  const tfjs = await resolveDevice("tfjs-cpu");
  assert.equal(tfjs.device, "tfjs-cpu");
  assert.equal(tfjs.usesWorkers, false);
  assert.match(tfjs.description, /^TensorFlow\.js 4\.\d+\.\d+ \(cpu backend\)$/);
});

test("an unknown device names the ones there are", async () => {
  const e = await rejection(resolveDevice("cuda"));
  assert.equal(e.message, 'unknown device "cuda": use one of auto, cpu, gpu, tfjs-cpu, wasm');
});

test("gpu without @tensorflow/tfjs-node-gpu says how to install it", async () => {
  const e = await rejection(resolveDeviceWith("gpu", {}, machine(withGpu)));
  assert.match(e.message, /^--device gpu: the optional package @tensorflow\/tfjs-node-gpu is not installed/);
  assert.match(e.message, /npm i @tensorflow\/tfjs-node-gpu@4\.22\.0/);
  assert.match(e.message, /CUDA 11\.2 and cuDNN 8\.1/);
});

test("gpu without a visible GPU, or without the CUDA libraries, says what is missing", async () => {
  const pkg = { "@tensorflow/tfjs-node-gpu": "ok" as const };
  const noDriver = machine(withGpu.filter((f) => !f.startsWith("/proc")), pkg);
  assert.match((await rejection(resolveDeviceWith("gpu", {}, noDriver))).message, /no NVIDIA GPU is visible .*install the NVIDIA driver/);
  assert.deepEqual(noDriver.loaded, [], "nothing is loaded when the machine cannot run it");
  const noCudnn = machine(withGpu.filter((f) => !f.endsWith("libcudnn.so.8") && !f.endsWith("libcublas.so.11")), pkg);
  const e = await rejection(resolveDeviceWith("gpu", {}, noCudnn));
  assert.match(e.message, /CUDA libraries not found: libcublas\.so\.11, libcudnn\.so\.8\. tfjs-node-gpu 4\.x needs CUDA 11\.2 and cuDNN 8\.1/);
  assert.match(e.message, /LD_LIBRARY_PATH/);
});

test("the CUDA libraries are found on LD_LIBRARY_PATH and in the linker cache", () => {
  const elsewhere = "/opt/cuda-11.2/lib";
  const files = withGpu.map((f) => f.replace(cudaDir, elsewhere));
  const view = machine(files, {}, { LD_LIBRARY_PATH: `/nothing:${elsewhere}` }).system;
  assert.deepEqual(gpuProblems(view), []);
  assert.equal(gpuProblems(machine(files).system).length, 1, "not found without the path");
  const cached: SystemView = { ...machine(withGpu.slice(0, 2)).system, linkerCache: () => [...CUDA_LIBRARIES.linux] };
  assert.deepEqual(gpuProblems(cached), []);
  assert.match(gpuProblems({ ...view, platform: "darwin" })[0]!, /Linux and Windows \(x64\) only, not darwin/);
});

test("gpu whose binding fails to load says so and how to reinstall it", async () => {
  const broken = machine(withGpu, { "@tensorflow/tfjs-node-gpu": new Error("libtensorflow.so.2: cannot open shared object file") });
  const e = await rejection(resolveDeviceWith("gpu", {}, broken));
  assert.match(e.message, /is installed but failed to load: libtensorflow\.so\.2: cannot open shared object file/);
  assert.match(e.message, /npm rebuild @tensorflow\/tfjs-node-gpu/);
  assert.equal(broken.system.env["TF_CPP_MIN_LOG_LEVEL"], "2", "TensorFlow's start-up logs are quieted");
});

test("gpu that loads but registers no tensorflow backend is refused", async () => {
  const fake = machine(withGpu, { "@tensorflow/tfjs-node-gpu": "ok" });
  assert.match((await rejection(resolveDeviceWith("gpu", {}, fake))).message, /no "tensorflow" backend registered/);
  const auto = await resolveDeviceWith("auto", {}, fake);
  assert.equal(auto.device, "cpu", "auto falls back to the CPU engine");
  assert.match(auto.description, /no "tensorflow" backend registered/);
});

test("auto chooses the CPU engine, with the reason, when no GPU can be used", async () => {
  const notes: string[] = [];
  const backend = await resolveDeviceWith("auto", { onNote: (n) => notes.push(n) }, machine(withGpu));
  assert.equal(backend.device, "cpu");
  assert.equal(backend.usesWorkers, true);
  assert.equal(backend.description, "the CPU engine (--device auto: no usable GPU, @tensorflow/tfjs-node-gpu is not installed)");
  assert.deepEqual(notes, [`using ${backend.description}`]);
  const noDriver = await resolveDeviceWith("auto", {}, machine([], { "@tensorflow/tfjs-node-gpu": "ok" }));
  assert.equal(noDriver.description, "the CPU engine (--device auto: no usable GPU, no NVIDIA GPU is visible (no /proc/driver/nvidia/gpus entry, no /dev/nvidia0))");
});

test("wasm without @tensorflow/tfjs-backend-wasm says how to install it", async () => {
  const e = await rejection(resolveDeviceWith("wasm", {}, machine([])));
  assert.equal(e.message, "--device wasm needs the package @tensorflow/tfjs-backend-wasm, which is not installed: npm i @tensorflow/tfjs-backend-wasm@4.22.0 (or use --device cpu)");
});
