/**
 * Whether TensorFlow's GPU build could use a GPU here, checked before anything is loaded: an NVIDIA
 * driver with a visible device, and the CUDA 11.2 / cuDNN 8.1 libraries that tfjs-node-gpu 4.x
 * (libtensorflow 2.9.1) opens at run time. Without them TensorFlow would quietly run on the CPU.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

/** What the probe reads from the machine (replaceable in tests). */
export interface SystemView {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  exists(path: string): boolean;
  listDir(path: string): string[];
  /** Library file names the dynamic linker's cache knows (`ldconfig -p`); [] when unknown. */
  linkerCache(): string[];
}

export const realSystem: SystemView = {
  platform: process.platform,
  env: process.env,
  exists: (path) => existsSync(path),
  listDir: (path) => {
    try {
      return readdirSync(path);
    } catch {
      return [];
    }
  },
  linkerCache: () => {
    for (const ldconfig of ["/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"]) {
      const r = spawnSync(ldconfig, ["-p"], { encoding: "utf8", timeout: 5000 });
      if (r.status === 0 && typeof r.stdout === "string") {
        return r.stdout.split("\n").map((line) => line.trim().split(/\s+/)[0] ?? "").filter((n) => n.length > 0);
      }
    }
    return [];
  },
};

/** The CUDA 11.2 and cuDNN 8.1 libraries TensorFlow 2.9 loads for its GPU kernels. */
export const CUDA_LIBRARIES: Record<"linux" | "win32", string[]> = {
  linux: [
    "libcudart.so.11.0",
    "libcublas.so.11",
    "libcublasLt.so.11",
    "libcufft.so.10",
    "libcurand.so.10",
    "libcusolver.so.11",
    "libcusparse.so.11",
    "libcudnn.so.8",
  ],
  win32: [
    "cudart64_110.dll",
    "cublas64_11.dll",
    "cublasLt64_11.dll",
    "cufft64_10.dll",
    "curand64_10.dll",
    "cusolver64_11.dll",
    "cusparse64_11.dll",
    "cudnn64_8.dll",
  ],
};

function searchDirs(sys: SystemView): string[] {
  const list = (v: string | undefined): string[] => (v ? v.split(sys.platform === "win32" ? ";" : delimiter).filter((d) => d) : []);
  if (sys.platform === "win32") {
    const cuda = sys.env["CUDA_PATH"];
    return [...list(sys.env["PATH"] ?? sys.env["Path"]), ...(cuda ? [join(cuda, "bin")] : []), join(sys.env["SystemRoot"] ?? "C:\\Windows", "System32")];
  }
  const homes = [sys.env["CUDA_HOME"], sys.env["CUDA_PATH"], "/usr/local/cuda", "/usr/local/cuda-11.2"].filter((d): d is string => !!d);
  return [
    ...list(sys.env["LD_LIBRARY_PATH"]),
    ...homes.flatMap((h) => [join(h, "lib64"), join(h, "lib")]),
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/lib/x86_64-linux-gnu",
  ];
}

/** Libraries of `names` found nowhere the loader looks. */
function missing(sys: SystemView, names: readonly string[]): string[] {
  const dirs = searchDirs(sys);
  const cache = sys.platform === "win32" ? new Set<string>() : new Set(sys.linkerCache());
  return names.filter((name) => !cache.has(name) && !dirs.some((d) => sys.exists(join(d, name))));
}

/** What stands between this machine and TensorFlow on a GPU, as sentences (none: ready). */
export function gpuProblems(sys: SystemView = realSystem): string[] {
  if (sys.platform !== "linux" && sys.platform !== "win32") {
    return [`@tensorflow/tfjs-node-gpu has GPU builds for Linux and Windows (x64) only, not ${sys.platform}`];
  }
  const problems: string[] = [];
  if (sys.platform === "linux") {
    const visible = sys.listDir("/proc/driver/nvidia/gpus").length > 0 || sys.exists("/dev/nvidia0");
    if (!visible) problems.push("no NVIDIA GPU is visible (no /proc/driver/nvidia/gpus entry, no /dev/nvidia0): install the NVIDIA driver (450.80.02 or newer)");
    else if (missing(sys, ["libcuda.so.1"]).length > 0) problems.push("the NVIDIA driver library libcuda.so.1 was not found: install the NVIDIA driver (450.80.02 or newer)");
  } else if (missing(sys, ["nvcuda.dll"]).length > 0) {
    problems.push("the NVIDIA driver (nvcuda.dll) was not found: install the NVIDIA driver (452.39 or newer)");
  }
  const libs = missing(sys, CUDA_LIBRARIES[sys.platform]);
  if (libs.length > 0) {
    const where = sys.platform === "win32" ? "add their bin folders to PATH" : "add their lib64 folders to LD_LIBRARY_PATH";
    problems.push(`CUDA libraries not found: ${libs.join(", ")}. tfjs-node-gpu 4.x needs CUDA 11.2 and cuDNN 8.1: install them and ${where}`);
  }
  return problems;
}
