/**
 * Helpers for the kernel tests: a kernelspec in a temporary JUPYTER_PATH, the Python driver
 * (test/kernel/driver.py, run with Debian's /usr/bin/python3 and python3-jupyter-client), copies of
 * the reference models, and a cleanup that kills any kernel a test started.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installKernelSpec } from "../../kernel/kernelspec.js";
import { fixturesDir, repoRoot } from "../support/paths.js";
import { tempDir as testTempDir } from "../support/temp-dir.js";

export const PYTHON = "/usr/bin/python3";

/** A temporary folder, removed when the test process exits. */
export function tempDir(prefix: string): string {
  return testTempDir(`mergelang-${prefix}-`);
}

/** A temporary folder with the reference models under models/ (tiny_f32, tiny_bf16). */
export function modelsDir(): string {
  const dir = tempDir("kernel-models");
  cpSync(fixturesDir("reference", "models"), join(dir, "models"), { recursive: true });
  return dir;
}

/** Environment for Jupyter tools: the kernelspec installed under a temporary prefix, private runtime dirs. */
export function jupyterEnv(): { env: NodeJS.ProcessEnv; root: string } {
  const root = tempDir("jupyter");
  installKernelSpec({ kind: "prefix", dir: root });
  // tslab's own TypeScript kernel, for the tests of the Session API in TypeScript notebooks.
  const tslab = join(root, "share", "jupyter", "kernels", "tslab");
  mkdirSync(tslab, { recursive: true });
  const tslabSpec = { argv: [process.execPath, join(repoRoot(), "node_modules", "tslab", "bin", "tslab"), "kernel", "--config-path", "{connection_file}"], display_name: "TypeScript", language: "typescript" };
  writeFileSync(join(tslab, "kernel.json"), JSON.stringify(tslabSpec));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: join(root, "share", "jupyter"),
    JUPYTER_RUNTIME_DIR: join(root, "runtime"),
    JUPYTER_DATA_DIR: join(root, "data"),
    JUPYTER_CONFIG_DIR: join(root, "config"),
    JUPYTER_PLATFORM_DIRS: "1",
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
  // The pyenv Python on PATH lacks the Debian packages; the driver always runs /usr/bin/python3.
  delete env["PYTHONPATH"];
  delete env["PYTHONHOME"];
  return { env, root };
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command with a deadline, in its own process group, killed (with its children) on timeout. */
export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; input?: string }): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, options.timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, timedOut });
    });
    child.stdin.end(options.input ?? "");
  });
}

export interface JupyterMessage {
  msg_type: string;
  content: Record<string, unknown>;
  parent_msg_id: string;
}

export interface StepRecord {
  op: string;
  reply: JupyterMessage;
  iopub: JupyterMessage[];
  results?: StepRecord[];
  interrupt_sent?: boolean;
  timeout?: boolean;
}

export interface DriverRun {
  readySeconds: number;
  records: StepRecord[];
  aliveAfterShutdown: boolean | null;
  stderr: string;
}

export type Step = Record<string, unknown> & { op: string };

/** Starts the kernel through jupyter_client, runs the steps, shuts it down; kills it if anything hangs. */
export async function drive(steps: Step[], options: { cwd: string; timeoutMs?: number; shutdownNow?: boolean; kernel?: string }): Promise<DriverRun> {
  const { env, root } = jupyterEnv();
  const script = join(root, "script.json");
  writeFileSync(script, JSON.stringify({ cwd: options.cwd, steps, shutdown_now: options.shutdownNow ?? false, kernel: options.kernel ?? "mergelang" }));
  try {
    const r = await run(PYTHON, [join(repoRoot(), "test", "kernel", "driver.py"), script], { cwd: options.cwd, env, timeoutMs: options.timeoutMs ?? 120_000 });
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("{"));
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const kernelPid = parsed.find((p) => "kernel_pid" in p)?.["kernel_pid"];
    if (typeof kernelPid === "number") killIfAlive(kernelPid);
    if (r.timedOut || r.code !== 0) {
      throw new Error(`the Jupyter driver ${r.timedOut ? "timed out" : `exited with ${r.code}`}\nstdout:\n${r.stdout.slice(-4000)}\nstderr:\n${r.stderr.slice(-4000)}`);
    }
    const ready = parsed.find((p) => "ready_seconds" in p);
    const alive = parsed.find((p) => "alive_after_shutdown" in p);
    return {
      readySeconds: Number(ready?.["ready_seconds"]),
      records: parsed.filter((p) => "op" in p) as unknown as StepRecord[],
      aliveAfterShutdown: alive ? Boolean(alive["alive_after_shutdown"]) : null,
      stderr: r.stderr,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 0);
  } catch {
    return;
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // exited meanwhile
  }
}

/** The iopub messages of a step that carry output (no status, no execute_input). */
export function outputs(record: StepRecord): JupyterMessage[] {
  return record.iopub.filter((m) => m.msg_type !== "status" && m.msg_type !== "execute_input");
}

/** Fails with the whole record when a step did not answer. */
export function answered(record: StepRecord | undefined, what: string): StepRecord {
  if (!record) throw new Error(`no record for ${what}`);
  if (record.timeout) throw new Error(`${what}: the kernel did not answer in time`);
  return record;
}
