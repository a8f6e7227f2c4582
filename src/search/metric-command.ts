/**
 * A metric command: any evaluator (lm-eval behind a script, a Python file) run on one candidate's
 * model folder. `{model}` becomes the folder (shell-quoted); the last non-empty line the command
 * prints must be the number. A command that fails, prints something else or runs past its timeout
 * stops the search with an error naming the candidate (the journal keeps what was done).
 */
import { spawn } from "node:child_process";

export class MetricError extends Error {
  override readonly name = "MetricError";
}

export interface CommandRun {
  command: string;
  /** The candidate's model folder. */
  folder: string;
  /** "candidate 3 (lambda 0.7)": how messages name it. */
  label: string;
  timeoutSeconds: number;
  cwd: string;
  signal?: AbortSignal;
}

/** POSIX single-quoting. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function expandCommand(command: string, folder: string): string {
  return command.includes("{model}") ? command.split("{model}").join(shellQuote(folder)) : `${command} ${shellQuote(folder)}`;
}

/** The score in a command's output: its last non-empty line, as a number. */
export function parseScore(stdout: string, label: string): number {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
  const last = lines[lines.length - 1];
  const value = last === undefined ? NaN : Number(last);
  if (last === undefined || last === "" || !Number.isFinite(value)) {
    const shown = last === undefined ? "nothing" : JSON.stringify(last.length > 120 ? last.slice(0, 117) + "..." : last);
    throw new MetricError(`${label}: the metric command must print a number on its last line, but it printed ${shown}`);
  }
  return value;
}

export function runMetricCommand(run: CommandRun): Promise<number> {
  const line = expandCommand(run.command, run.folder);
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", line], { cwd: run.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let settled = false;
    const kill = (): void => {
      try {
        process.kill(-child.pid!, "SIGKILL"); // the whole group: the shell and what it started
      } catch {
        // already gone
      }
    };
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.signal?.removeEventListener("abort", onAbort);
      f();
    };
    const timer = setTimeout(() => {
      kill();
      finish(() => reject(new MetricError(`${run.label}: the metric command ran past its timeout of ${run.timeoutSeconds} s and was stopped: ${line}`)));
    }, run.timeoutSeconds * 1000);
    const onAbort = (): void => {
      kill();
      finish(() => reject(Object.assign(new Error("the search was stopped"), { name: "AbortError" })));
    };
    run.signal?.addEventListener("abort", onAbort);
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on("error", (e) => finish(() => reject(new MetricError(`${run.label}: the metric command could not start: ${e.message}`))));
    child.on("close", (code) => {
      finish(() => {
        if (code !== 0) {
          const tail = stderr.trim().split("\n").slice(-3).join(" | ");
          reject(new MetricError(`${run.label}: the metric command exited with status ${code}${tail ? `: ${tail}` : ""} (${line})`));
          return;
        }
        try {
          resolve(parseScore(stdout, run.label));
        } catch (e) {
          reject(e);
        }
      });
    });
  });
}
