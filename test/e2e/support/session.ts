/**
 * One end-to-end session: a temporary home (code-server's folders, the workspace, the .vsix), the
 * results folder for its screenshots, and whatever the steps have started so far, all stopped by
 * dispose(), which reports any process that outlived it.
 */
import { readdirSync, readFileSync, rmSync, statSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../support/paths.js";
import type { LaunchedBrowser } from "./browser.js";
import type { CodeServer } from "./code-server.js";
import type { VscodeInstall } from "./vscode-install.js";
import type { Workbench } from "./workbench.js";
import type { Workspace } from "./workspace.js";
import { tempDir } from "../../support/temp-dir.js";

export interface SessionOptions {
  /** Names the results folder: results/e2e/<name>/. */
  name: string;
  /** Paths inside the extension to leave out of the .vsix (to see the suite catch a broken package). */
  dropFromVsix?: string[];
}

export class Session {
  readonly home: string;
  readonly results: string;
  install?: VscodeInstall;
  vsix?: string;
  workspace?: Workspace;
  server?: CodeServer;
  browser?: LaunchedBrowser;
  workbench?: Workbench;

  constructor(readonly options: SessionOptions) {
    this.home = tempDir(`mergelang-e2e-${options.name}-`);
    this.results = join(repoRoot(), "results", "e2e", options.name);
    rmSync(this.results, { recursive: true, force: true });
    mkdirSync(this.results, { recursive: true });
  }

  /** What a step needs, or a clear error saying which earlier step did not provide it. */
  need<K extends "install" | "vsix" | "workspace" | "server" | "browser" | "workbench">(key: K): NonNullable<Session[K]> {
    const v = this[key];
    if (v === undefined || v === null) throw new Error(`no ${key}: an earlier step did not finish`);
    return v as NonNullable<Session[K]>;
  }

  /** The tail of VS Code's logs that mention the extension (extension host, language client output). */
  extensionLogs(lines = 15): string {
    const root = join(this.home, "user-data", "logs");
    const found: string[] = [];
    const walk = (dir: string): void => {
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (e.endsWith(".log")) {
          const text = readFileSync(p, "utf8");
          // The extension's output channels whole; elsewhere, errors and warnings that name it.
          const own = /mergelang/i.test(e);
          const hits = text.split("\n").filter((l) => l.trim() && (own || (/mergelang/i.test(l) && /\[(error|warning)\]/.test(l))));
          if (hits.length) found.push(`${p.slice(root.length + 1)}:\n${hits.slice(-lines).join("\n")}`);
        }
      }
    };
    walk(root);
    return found.join("\n");
  }

  /**
   * Why the language server is gone for good, from the client's output channel, or null while it
   * may still come: lets a step stop waiting for what the server would have shown.
   */
  languageServerGaveUp(): string | null {
    const logs = this.extensionLogs(40);
    const fatal = /will not be restarted|couldn't create connection to server/;
    if (!fatal.test(logs)) return null;
    const lines = logs.split("\n").filter((l) => fatal.test(l) || /Cannot find module|exited with code|Error:/.test(l));
    return [...new Set(lines.map((l) => l.trim()))].join("\n");
  }

  /** Stops the browser and code-server (with everything they started); returns what went wrong. */
  async dispose(): Promise<string[]> {
    const problems: string[] = [];
    try {
      await this.browser?.close();
    } catch (e) {
      problems.push(`closing Chromium: ${(e as Error).message}`);
    }
    if (this.server) {
      try {
        const killed = await this.server.stop();
        if (killed.length) console.log(`# code-server's processes ${killed.join(", ")} outlived SIGTERM and were killed`);
        const left = this.server.survivors();
        if (left.length) problems.push(`code-server's processes ${left.join(", ")} are still running`);
      } catch (e) {
        problems.push(`stopping code-server: ${(e as Error).message}`);
      }
    }
    rmSync(this.home, { recursive: true, force: true });
    return problems;
  }
}
