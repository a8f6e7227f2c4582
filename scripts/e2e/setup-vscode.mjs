#!/usr/bin/env node
// @ts-check
/**
 * Installs a real VS Code for the end-to-end tests, offline but for the npm registry and Debian:
 * code-server (VS Code in the browser, on Node 20) from npm, plus Debian's Chromium and ripgrep.
 * Idempotent: a finished install is recorded in DIR/ready.json and reused.
 *
 *   node scripts/e2e/setup-vscode.mjs [--json]
 *
 * DIR is $MERGELANG_E2E_CACHE, else ~/.cache/mergelang-e2e. --json prints one line at the end:
 * {"dir", "entry" (code-server's entry.js), "chromium"} for the tests to read.
 *
 * Why each step, since code-server's own post-install downloads from outside npm:
 *  - the package is installed with --ignore-scripts, then the VS Code server's dependencies the same way;
 *  - only the native modules the server loads on start are built from source (argon2 for code-server's
 *    CLI, @vscode/spdlog for logging, native-watchdog for the extension host); node-pty (terminals),
 *    kerberos (proxy auth) and @vscode/deviceid (telemetry) are not needed by the tests;
 *  - node-gyp uses the local Node headers (npm_config_nodedir) instead of downloading them;
 *  - @vscode/ripgrep's binary (downloaded from GitHub by its post-install) is Debian's /usr/bin/rg.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

const CODE_SERVER_VERSION = "4.99.4";
const NATIVE_MODULES = ["@vscode/spdlog", "native-watchdog"];
/** Debian packages: [package, a file it installs]. */
const DEBIAN = [
  ["chromium", "/usr/bin/chromium"],
  ["ripgrep", "/usr/bin/rg"],
  ["make", "/usr/bin/make"],
  ["g++", "/usr/bin/g++"],
  ["python3", "/usr/bin/python3"],
];

const dir = process.env.MERGELANG_E2E_CACHE || join(homedir(), ".cache", "mergelang-e2e");
const codeServer = join(dir, "node_modules", "code-server");
const vscodeDir = join(codeServer, "lib", "vscode");
const entry = join(codeServer, "out", "node", "entry.js");
const marker = join(dir, "ready.json");
const started = Date.now();

/** @param {string} message */
function fail(message) {
  console.error(`setup-vscode: ${message}`);
  process.exit(1);
}

/** @param {string} message */
function log(message) {
  console.error(`setup-vscode [${((Date.now() - started) / 1000).toFixed(0)}s] ${message}`);
}

/**
 * Runs a command, failing with its output when it fails.
 * @param {string} what @param {string} cmd @param {string[]} args @param {{cwd?: string, env?: NodeJS.ProcessEnv}} [opts]
 */
function run(what, cmd, args, opts = {}) {
  log(what);
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? dir, env: opts.env ?? process.env, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) fail(`${what}: ${r.error.message}`);
  if (r.status !== 0) fail(`${what} failed (exit ${r.status}):\n${(r.stdout + r.stderr).trim().split("\n").slice(-30).join("\n")}`);
  return r.stdout;
}

function isReady() {
  if (!existsSync(marker) || !existsSync(entry)) return false;
  try {
    return JSON.parse(readFileSync(marker, "utf8")).codeServer === CODE_SERVER_VERSION;
  } catch {
    return false;
  }
}

function installDebianPackages() {
  const missing = DEBIAN.filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) fail(`missing Debian packages: ${missing.join(" ")} (install them: sudo apt-get install ${missing.join(" ")})`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = ["install", "-y", "-qq", "--no-install-recommends", ...missing];
  // The package lists may be there already; update them only when the install cannot find a package.
  const first = spawnSync("apt-get", install, { env, encoding: "utf8" });
  if (first.status !== 0) {
    run("apt-get update", "apt-get", ["update", "-qq"], { env });
    run(`apt-get install ${missing.join(" ")}`, "apt-get", install, { env });
  }
}

/** node-gyp must build against the running Node's headers without downloading them. */
function npmEnv() {
  const prefix = dirname(dirname(process.execPath));
  const headers = join(prefix, "include", "node", "node.h");
  if (!existsSync(headers)) fail(`Node's C headers are not at ${headers}: native modules cannot be built offline`);
  // JOBS: node-gyp builds with every core.
  return { ...process.env, npm_config_nodedir: prefix, npm_config_update_notifier: "false", npm_config_audit: "false", npm_config_fund: "false", JOBS: "max" };
}

/** @param {string} target @param {string} link */
function symlink(target, link) {
  rmSync(link, { recursive: true, force: true });
  symlinkSync(target, link);
}

function install() {
  if (process.versions.node.split(".")[0] !== "20") fail(`code-server ${CODE_SERVER_VERSION} needs Node 20 (this is ${process.version})`);
  installDebianPackages();
  const env = npmEnv();
  rmSync(marker, { force: true });
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, "package.json"))) writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "mergelang-e2e-vscode", private: true }) + "\n");
  run(`npm install code-server@${CODE_SERVER_VERSION}`, "npm", ["install", "--ignore-scripts", "--no-save", `code-server@${CODE_SERVER_VERSION}`], { env });
  run("npm install the VS Code server's dependencies", "npm", ["install", "--ignore-scripts", "--omit=dev", "--unsafe-perm"], { cwd: vscodeDir, env });
  run("build argon2", "npm", ["rebuild", "--unsafe-perm", "argon2"], { env });
  run(`build ${NATIVE_MODULES.join(", ")}`, "npm", ["rebuild", "--unsafe-perm", ...NATIVE_MODULES], { cwd: vscodeDir, env });

  // What code-server's post-install does, without its downloads.
  const rgDir = join(vscodeDir, "node_modules", "@vscode", "ripgrep", "bin");
  mkdirSync(rgDir, { recursive: true });
  symlink("/usr/bin/rg", join(rgDir, "rg"));
  symlink("node_modules", join(vscodeDir, "node_modules.asar"));
  symlink("code-linux.sh", join(vscodeDir, "bin", "remote-cli", "code-server"));
  symlink("browser-linux.sh", join(vscodeDir, "bin", "helpers", "browser.sh"));

  // --config: otherwise code-server writes a default config into ~/.config.
  const printed = run("check code-server starts", process.execPath, [entry, "--config", join(dir, "config.yaml"), "--version"]);
  const version = printed.split("\n").find((line) => /^\d+\.\d+\.\d+ /.test(line)) ?? printed.trim();
  if (!version.startsWith(`${CODE_SERVER_VERSION} `)) fail(`code-server --version printed "${version}", expected ${CODE_SERVER_VERSION}`);
  writeFileSync(marker, JSON.stringify({ codeServer: CODE_SERVER_VERSION, installedAt: new Date().toISOString() }, null, 2) + "\n");
  log(`code-server ${CODE_SERVER_VERSION} installed in ${dir}`);
}

const { values } = parseArgs({ options: { json: { type: "boolean" } } });
if (isReady()) log(`code-server ${CODE_SERVER_VERSION} ready in ${dir}`);
else install();
installDebianPackages(); // Chromium may have gone while the cache stayed.
if (values.json) console.log(JSON.stringify({ dir, entry, chromium: "/usr/bin/chromium" }));
