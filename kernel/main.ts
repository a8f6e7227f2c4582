/**
 * Starting the kernel process: `mergelang kernel start CONNECTION_FILE` (what kernel.json runs).
 * SIGINT (Jupyter's default interrupt) stops the running cell, never the kernel.
 */
import { existsSync } from "node:fs";
import { MergelangHandler } from "./handler.js";
import { MergelangServer } from "./server.js";

export interface KernelOptions {
  /** Tensor cache cap, e.g. "2GB" (default: MERGELANG_CACHE, else 1 GB). */
  cache?: string;
  /** Folder relative paths resolve against (default: the current directory, the notebook's). */
  cwd?: string;
}

export async function startKernel(connectionFile: string, options: KernelOptions = {}): Promise<MergelangServer> {
  if (!existsSync(connectionFile)) throw new Error(`${connectionFile}: no such connection file`);
  const cache = options.cache ?? process.env["MERGELANG_CACHE"];
  const handler = new MergelangHandler({ cwd: options.cwd ?? process.cwd(), ...(cache ? { cache } : {}) });
  const server = new MergelangServer(handler, connectionFile, { onShutdown: () => process.exit(0) });
  process.on("SIGINT", () => {
    handler.interrupt();
  });
  process.on("SIGTERM", () => process.exit(0));
  // A send the transport does not await must not take the kernel down with it.
  process.on("unhandledRejection", (e) => process.stderr.write(`[mergelang kernel] ${e instanceof Error ? e.message : String(e)}\n`));
  watchParent();
  await server.init();
  return server;
}

/**
 * Exits when the process that started the kernel is gone (Jupyter sets JPY_PARENT_PID), as
 * ipykernel does: a notebook server that crashed must not leave kernels behind.
 */
function watchParent(): void {
  if (!process.env["JPY_PARENT_PID"] || process.platform === "win32") return;
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000).unref();
}
