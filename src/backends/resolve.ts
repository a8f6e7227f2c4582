/**
 * `--device auto|cpu|gpu|tfjs-cpu|wasm`: the backend that evaluates tensors. `cpu` is the CPU engine
 * (the default); `tfjs-cpu` TensorFlow.js on its plain-JavaScript backend (for checking the device
 * path anywhere); `wasm` its WebAssembly backend (@tensorflow/tfjs-backend-wasm); `gpu` TensorFlow
 * with CUDA through the optional package @tensorflow/tfjs-node-gpu; `auto` the GPU when it is
 * usable, else the CPU engine. TensorFlow.js is loaded only when a tfjs device is chosen.
 */
import { createRequire } from "node:module";
import type { Backend } from "./backend.js";
import { cpuBackend, cpuBackendBecause } from "./cpu.js";
import { DeviceError } from "./errors.js";
import { type SystemView, gpuProblems, realSystem } from "./gpu-probe.js";
import type { SearchMethod } from "./tfjs/histogram.js";

export const DEVICE_NAMES = ["auto", "cpu", "gpu", "tfjs-cpu", "wasm"] as const;
export type DeviceChoice = (typeof DEVICE_NAMES)[number];

export const GPU_PACKAGE = "@tensorflow/tfjs-node-gpu";
export const WASM_PACKAGE = "@tensorflow/tfjs-backend-wasm";
const TFJS_RANGE = "4.22.0";

export interface DeviceOptions {
  /** Tensor bytes one step may hold on a tfjs device (chunks are sized to fit); default 1 GiB. */
  deviceMemoryBytes?: number;
  /** Notes for the user: methods that run on the host, what `auto` chose and why. */
  onNote?: (message: string) => void;
  /** Tuning and tests: how bucket boundaries are searched on the device. */
  search?: SearchMethod;
  /** Tuning and tests: chunks shorter than this count their statistics on the host (default 65536). */
  deviceHistogramMinElements?: number;
}

/** How packages are found and loaded, and what the machine has (replaceable in tests). */
export interface DeviceEnvironment {
  system: SystemView;
  hasPackage(name: string): boolean;
  load(name: string): Promise<unknown>;
}

const require = createRequire(import.meta.url);

export const realEnvironment: DeviceEnvironment = {
  system: realSystem,
  hasPackage(name) {
    try {
      require.resolve(name);
      return true;
    } catch {
      return false;
    }
  },
  load: (name) => import(name),
};

export function resolveDevice(name: string, opts: DeviceOptions = {}): Promise<Backend> {
  return resolveDeviceWith(name, opts, realEnvironment);
}

export async function resolveDeviceWith(name: string, opts: DeviceOptions, env: DeviceEnvironment): Promise<Backend> {
  switch (name) {
    case "cpu":
      return cpuBackend;
    case "tfjs-cpu":
      return tfjsBackend("tfjs-cpu", "cpu", "cpu backend", opts);
    case "wasm":
      await loadWasm(env);
      return tfjsBackend("wasm", "wasm", "wasm backend", opts);
    case "gpu": {
      const problem = await loadGpu(env);
      if (problem) throw new DeviceError(`--device gpu: ${problem.message}`);
      return tfjsBackend("gpu", "tensorflow", "GPU through @tensorflow/tfjs-node-gpu", opts);
    }
    case "auto": {
      let problem = await loadGpu(env);
      if (!problem) {
        try {
          return await tfjsBackend("gpu", "tensorflow", "GPU through @tensorflow/tfjs-node-gpu, chosen by --device auto", opts);
        } catch (e) {
          if (!(e instanceof DeviceError)) throw e;
          problem = { short: e.message, message: e.message };
        }
      }
      const backend = cpuBackendBecause(`--device auto: no usable GPU, ${problem.short}`);
      opts.onNote?.(`using ${backend.description}`);
      return backend;
    }
    default:
      throw new DeviceError(`unknown device "${name}": use one of ${DEVICE_NAMES.join(", ")}`);
  }
}

async function tfjsBackend(device: "tfjs-cpu" | "wasm" | "gpu", tfBackend: string, what: string, opts: DeviceOptions): Promise<Backend> {
  const { TfjsBackend } = await import("./tfjs/tfjs-backend.js");
  const { TFJS_VERSION, hasTfjsBackend } = await import("./tfjs/runtime.js");
  if (!hasTfjsBackend(tfBackend)) throw new DeviceError(`TensorFlow.js has no "${tfBackend}" backend registered (for --device ${device})`);
  return new TfjsBackend({ device, tfBackend, description: `TensorFlow.js ${TFJS_VERSION} (${what})`, ...opts });
}

async function loadWasm(env: DeviceEnvironment): Promise<void> {
  if (!env.hasPackage(WASM_PACKAGE)) {
    throw new DeviceError(
      `--device wasm needs the package ${WASM_PACKAGE}, which is not installed: npm i ${WASM_PACKAGE}@${TFJS_RANGE} (or use --device cpu)`,
    );
  }
  try {
    await env.load(WASM_PACKAGE);
  } catch (e) {
    throw new DeviceError(`--device wasm: ${WASM_PACKAGE} is installed but failed to load: ${(e as Error).message}`);
  }
}

/** Why the GPU cannot be used: in a few words (for `auto`), and in full with how to fix it. */
interface GpuProblem {
  short: string;
  message: string;
}

/** Loads TensorFlow's GPU binding; null when it is ready, else what is missing and how to install it. */
async function loadGpu(env: DeviceEnvironment): Promise<GpuProblem | null> {
  if (!env.hasPackage(GPU_PACKAGE)) {
    return {
      short: `${GPU_PACKAGE} is not installed`,
      message:
        `the optional package ${GPU_PACKAGE} is not installed. Install it next to mergelang with ` +
        `\`npm i ${GPU_PACKAGE}@${TFJS_RANGE}\` (Linux or Windows x64, an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1; see docs/gpu.md), ` +
        "or use --device cpu",
    };
  }
  const problems = gpuProblems(env.system);
  if (problems.length > 0) return { short: problems[0]!.split(":")[0]!, message: problems.join("; ") };
  // TensorFlow's C++ start-up logs (one line per library it opens) are noise unless asked for.
  env.system.env["TF_CPP_MIN_LOG_LEVEL"] ??= "2";
  try {
    await env.load(GPU_PACKAGE);
  } catch (e) {
    return {
      short: `${GPU_PACKAGE} failed to load`,
      message:
        `${GPU_PACKAGE} is installed but failed to load: ${(e as Error).message}. ` +
        `Its install step downloads libtensorflow 2.9.1 (GPU) from storage.googleapis.com; rerun it with network access: npm rebuild ${GPU_PACKAGE}`,
    };
  }
  return null;
}
