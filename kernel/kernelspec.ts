/**
 * The kernelspec Jupyter finds the kernel by: kernels/mergelang/{kernel.json, logo-32x32.png,
 * logo-64x64.png} under a Jupyter data folder. kernel.json runs this package's CLI with the Node
 * that installed it, so the kernel works whatever `node` is on the notebook server's PATH.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { logoPng } from "./logo.js";
import { LANGUAGE } from "./language.js";

export const KERNEL_NAME = "mergelang";

export type SpecLocation = { kind: "user" } | { kind: "prefix"; dir: string } | { kind: "sys-prefix" };

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "signal" | "message";
  env?: Record<string, string>;
  metadata: Record<string, unknown>;
}

/** The CLI entry point next to this file (dist/src/cli/main.js for dist/kernel/kernelspec.js). */
export function cliPath(): string {
  return fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
}

export function kernelSpec(options: { env?: Record<string, string>; displayName?: string } = {}): KernelSpec {
  return {
    argv: [process.execPath, cliPath(), "kernel", "start", "{connection_file}"],
    display_name: options.displayName ?? "mergelang",
    language: LANGUAGE,
    interrupt_mode: "signal",
    ...(options.env && Object.keys(options.env).length ? { env: options.env } : {}),
    metadata: { debugger: false },
  };
}

/** Jupyter's per-user data folder (jupyter_core's jupyter_data_dir). */
export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env["JUPYTER_DATA_DIR"]) return resolve(env["JUPYTER_DATA_DIR"]);
  if (process.platform === "darwin") return join(homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return join(env["APPDATA"] ?? join(homedir(), "AppData", "Roaming"), "jupyter");
  return join(env["XDG_DATA_HOME"] || join(homedir(), ".local", "share"), "jupyter");
}

/** The prefix of the active Python environment: a virtualenv or conda env, else python3's sys.prefix. */
export function sysPrefix(env: NodeJS.ProcessEnv = process.env): string {
  const active = env["VIRTUAL_ENV"] || env["CONDA_PREFIX"];
  if (active) return resolve(active);
  for (const python of ["python3", "python"]) {
    const r = spawnSync(python, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8", timeout: 10_000 });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  throw new Error("--sys-prefix needs a Python environment: activate one, or install it there with --prefix DIR");
}

/** The kernels/ folder for a location. */
export function kernelsDir(location: SpecLocation, env: NodeJS.ProcessEnv = process.env): string {
  switch (location.kind) {
    case "user":
      return join(userDataDir(env), "kernels");
    case "prefix":
      return join(resolve(location.dir), "share", "jupyter", "kernels");
    case "sys-prefix":
      return join(sysPrefix(env), "share", "jupyter", "kernels");
  }
}

/** Writes kernels/<name>/ with kernel.json and the two logos; returns the folder. */
export function installKernelSpec(location: SpecLocation, options: { name?: string; env?: Record<string, string>; displayName?: string } = {}): string {
  const dir = join(kernelsDir(location), options.name ?? KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "kernel.json"), JSON.stringify(kernelSpec(options), null, 2) + "\n");
  writeFileSync(join(dir, "logo-32x32.png"), logoPng(32));
  writeFileSync(join(dir, "logo-64x64.png"), logoPng(64));
  return dir;
}

/** Removes kernels/<name>/; returns the folder, or null when there was none. */
export function removeKernelSpec(location: SpecLocation, name = KERNEL_NAME): string | null {
  const dir = join(kernelsDir(location), name);
  if (!existsSync(dir)) return null;
  rmSync(dir, { recursive: true, force: true });
  return dir;
}
