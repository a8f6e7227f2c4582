/**
 * A code-server of the test's own: loopback only, no auth, fresh user-data and extensions folders
 * under `home`, and XDG folders there too so nothing lands in the real home directory.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { groupMembers, stopGroup, trackGroup } from "./process-group.js";
import type { VscodeInstall } from "./vscode-install.js";

/** Settings that keep a test session quiet and offline: no gallery, no welcome page, no tips. */
const USER_SETTINGS = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.colorTheme": "Default Light Modern",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "security.workspace.trust.enabled": false,
  "editor.minimap.enabled": false,
  "editor.hover.delay": 300,
  "files.autoSave": "off",
  "git.enabled": false,
};

export class CodeServer {
  private output = "";
  private exited: string | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString("utf8")).slice(-64_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("exit", (code, signal) => (this.exited = `exited with ${signal ?? `code ${code}`}`));
  }

  /** Folders of one session under `home`: user data (with settings), extensions, XDG dirs. */
  static prepareHome(home: string): void {
    for (const d of ["user-data/User", "extensions", "xdg-config", "xdg-data", "xdg-cache"]) mkdirSync(join(home, d), { recursive: true });
    writeFileSync(join(home, "user-data", "User", "settings.json"), JSON.stringify(USER_SETTINGS, null, 2));
  }

  private static args(home: string): string[] {
    return ["--config", join(home, "config.yaml"), "--user-data-dir", join(home, "user-data"), "--extensions-dir", join(home, "extensions")];
  }

  private static env(home: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: join(home, "xdg-config"), XDG_DATA_HOME: join(home, "xdg-data"), XDG_CACHE_HOME: join(home, "xdg-cache") };
    // The test runner's own variables must not leak into the language server VS Code starts.
    for (const k of Object.keys(env)) if (k.startsWith("NODE_TEST") || k === "NODE_OPTIONS") delete env[k];
    return env;
  }

  /** `code-server --install-extension FILE.vsix` into the session's extensions folder. */
  static installExtension(install: VscodeInstall, home: string, vsix: string): string {
    const r = spawnSync(process.execPath, [install.entry, ...CodeServer.args(home), "--install-extension", vsix], {
      env: CodeServer.env(home),
      encoding: "utf8",
      timeout: 120_000,
    });
    const out = `${r.stdout}${r.stderr}`.trim();
    if (r.status !== 0 || !/successfully installed/.test(out)) throw new Error(`--install-extension ${vsix} failed (exit ${r.status ?? r.signal}):\n${out}`);
    return out;
  }

  static async start(install: VscodeInstall, home: string, workspace: string): Promise<CodeServer> {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        install.entry,
        ...CodeServer.args(home),
        "--bind-addr", `127.0.0.1:${port}`,
        "--auth", "none",
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--disable-getting-started-override",
        workspace,
      ],
      { env: CodeServer.env(home), cwd: home, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    if (child.pid === undefined) throw new Error(`cannot start ${install.entry}`);
    trackGroup(child.pid);
    const server = new CodeServer(child, port);
    await server.waitHealthy(60_000);
    return server;
  }

  get pid(): number {
    return this.child.pid!;
  }

  url(folder: string): string {
    return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(folder)}`;
  }

  /** The last lines code-server printed (for failure messages). */
  logTail(lines = 25): string {
    return this.output.split("\n").filter((l) => l.trim()).slice(-lines).join("\n");
  }

  private async waitHealthy(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.exited) throw new Error(`code-server ${this.exited} before it listened:\n${this.logTail()}`);
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`code-server did not answer on 127.0.0.1:${this.port} within ${ms / 1000} s:\n${this.logTail()}`);
  }

  /** Stops code-server and everything it started; returns the processes that needed SIGKILL. */
  async stop(): Promise<number[]> {
    return stopGroup(this.pid);
  }

  /** Processes of its group still alive. */
  survivors(): number[] {
    return groupMembers(this.pid);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
