/**
 * The kernel's transport is the one native part of mergelang: tslab's ZmqServer runs on zeromq, a
 * native addon (prebuilt for Linux, macOS and Windows inside the zeromq package). Both are optional
 * dependencies, so an install where zeromq cannot load still has every other command; only
 * `mergelang kernel start` needs them, and says so plainly when they are missing.
 */
import { createRequire } from "node:module";

const INSTALL_HINT =
  "the Jupyter kernel needs the optional packages tslab and zeromq (a native addon); " +
  "reinstall mergelang with optional dependencies (npm install -g mergelang --include=optional) or add them next to it (npm install tslab)";

/** Whether tslab and its zeromq addon load here (checked by `kernel install`, which needs neither). */
export function transportProblem(): string | null {
  try {
    const require = createRequire(import.meta.url);
    require(require.resolve("zeromq", { paths: [require.resolve("tslab/package.json")] }));
    return null;
  } catch (e) {
    return `${INSTALL_HINT} (${firstLine(e)})`;
  }
}

/** The kernel's entry point, or an error saying what to install when its transport is missing. */
export async function loadKernel(): Promise<typeof import("./main.js")> {
  try {
    return await import("./main.js");
  } catch (e) {
    if (isMissingTransport(e)) throw new Error(`${INSTALL_HINT} (${firstLine(e)})`);
    throw e;
  }
}

function isMissingTransport(e: unknown): boolean {
  const message = e instanceof Error ? e.message : String(e);
  return /\b(tslab|zeromq)\b/.test(message) && /cannot find|not find|failed to load|no such file|ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND|ERR_DLOPEN_FAILED/i.test(`${message} ${(e as { code?: string }).code ?? ""}`);
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
}
