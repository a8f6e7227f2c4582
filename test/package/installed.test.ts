/**
 * The package as a user gets it: `npm pack` of this checkout, `npm install -g` of the tarball into a
 * fresh prefix, and the installed `mergelang` run outside the repository: --help, a recipe from
 * examples/, the kernelspec, the language server over stdio, and the kernel with and without its
 * optional transport (tslab and the native zeromq, the only native code).
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe } from "node:test";
import { generateExampleModels } from "../../src/demo/example-models.js";
import { run, tempDir, type ProcessResult } from "../kernel/support.js";
import { LspClient } from "../lsp/lsp-client.js";
import { repoRoot } from "../support/paths.js";
import { npmCommand, NPM_REGISTRY, requiring } from "../support/requirements.js";

const { before, test } = requiring(NPM_REGISTRY);

/** The environment without what `npm test` sets for its children (npm_config_prefix and the like). */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  for (const k of ["JUPYTER_DATA_DIR", "JUPYTER_PATH", "XDG_DATA_HOME", "MERGELANG_CACHE"]) delete env[k];
  return { ...env, ...extra };
}

function ok(r: ProcessResult, what: string): ProcessResult {
  assert.equal(r.timedOut, false, `${what} timed out`);
  assert.equal(r.code, 0, `${what} exited with ${r.code}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`);
  return r;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile());
}

describe("the installed package (npm pack, npm install -g into a fresh prefix)", () => {
  let work: string;
  let prefix: string;
  let installed: string;
  let tarballFiles: string[];
  let bin: string;
  /** Outside the repository: a HOME of its own, with node on PATH for the bin's shebang. */
  let env: NodeJS.ProcessEnv;
  const mergelang = (args: string[], cwd: string, timeoutMs = 60_000) => run(bin, args, { cwd, env, timeoutMs });
  /** Runs a kernelspec's argv as Jupyter would, with a connection file that does not exist. */
  const startKernel = (argv: string[]) => {
    const [command, ...args] = argv.map((a) => a.replace("{connection_file}", join(work, "connection.json")));
    return run(command!, args, { cwd: work, env, timeoutMs: 30_000 });
  };

  before(async () => {
    work = realpathSync(tempDir("installed"));
    prefix = join(work, "prefix");
    // Packs the build `npm test` just made; `prepack` (npm run build) makes it on a plain `npm pack`.
    const packed = ok(
      await run(npmCommand(), ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: repoRoot(), env: cleanEnv(), timeoutMs: 120_000 }),
      "npm pack",
    );
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    tarballFiles = info!.files.map((f) => f.path);
    ok(
      await run(npmCommand(), ["install", "-g", "--prefix", prefix, "--no-audit", "--no-fund", "--prefer-offline", join(work, info!.filename)], {
        cwd: work,
        env: cleanEnv(),
        timeoutMs: 300_000,
      }),
      "npm install -g",
    );
    installed = join(prefix, "lib", "node_modules", "mergelang");
    bin = join(prefix, "bin", "mergelang");
    const home = join(work, "home");
    mkdirSync(home);
    env = cleanEnv({ HOME: home, PATH: [join(prefix, "bin"), dirname(process.execPath), "/usr/bin", "/bin"].join(":") });
  });

  test("the tarball holds the built CLI, the kernel, the grammar, README and LICENSE, and no tests", () => {
    for (const f of ["package.json", "README.md", "LICENSE", "dist/src/cli/main.js", "dist/src/index.d.ts", "dist/kernel/main.js"]) {
      assert.ok(tarballFiles.includes(f), `${f} is in the tarball`);
    }
    assert.ok(tarballFiles.some((f) => f.startsWith("grammar/")));
    assert.deepEqual(tarballFiles.filter((f) => f.startsWith("dist/test/") || f.startsWith("test/")), []);
    const pkg = JSON.parse(readFileSync(join(repoRoot(), "package.json"), "utf8")) as { scripts: Record<string, string> };
    assert.match(pkg.scripts["prepack"] ?? "", /npm run build/, "a plain npm pack builds first");
  });

  test("the only native code installed is zeromq's prebuilt addon, under the optional tslab", () => {
    assert.ok(existsSync(join(installed, "dist", "src", "cli", "main.js")));
    const native = filesUnder(installed).filter((f) => f.endsWith(".node"));
    assert.deepEqual(native.filter((f) => !f.startsWith("node_modules/zeromq/")), []);
    const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { dependencies: Record<string, string>; optionalDependencies: Record<string, string> };
    assert.equal(pkg.dependencies["tslab"], undefined);
    assert.ok(pkg.optionalDependencies["tslab"]);
  });

  test("mergelang --help lists the commands", async () => {
    const r = ok(await mergelang(["--help"], work), "mergelang --help");
    for (const command of ["run", "check", "inspect", "fmt", "lsp", "kernel", "import"]) assert.match(r.stdout, new RegExp(`\\b${command}\\b`));
  });

  test("mergelang run merges an example recipe outside the repository", async () => {
    const project = join(work, "project");
    await generateExampleModels(join(project, "models"));
    copyFileSync(join(repoRoot(), "examples", "arithmetic.merge"), join(project, "arithmetic.merge"));
    ok(await mergelang(["check", "arithmetic.merge"], project), "mergelang check");
    const r = ok(await mergelang(["run", "arithmetic.merge"], project, 120_000), "mergelang run");
    for (const out of ["mixed", "mostly-math", "ties-by-hand"]) {
      assert.ok(existsSync(join(project, "out", out, "model.safetensors")), `out/${out} written`);
      assert.match(r.stdout + r.stderr, new RegExp(`out/${out}`));
    }
    const config = JSON.parse(readFileSync(join(project, "out", "mixed", "config.json"), "utf8")) as { torch_dtype: string };
    assert.equal(config.torch_dtype, "float32");
  });

  test("kernel install --user writes a kernelspec that runs the installed CLI, whose transport loads", async () => {
    const r = ok(await mergelang(["kernel", "install", "--user"], work), "kernel install --user");
    assert.equal(r.stderr, "", "no warning: the transport is there");
    const spec = JSON.parse(readFileSync(join(env["HOME"]!, ".local", "share", "jupyter", "kernels", "mergelang", "kernel.json"), "utf8")) as { argv: string[] };
    assert.equal(realpathSync(spec.argv[1]!), join(installed, "dist", "src", "cli", "main.js"));
    // The transport (tslab, zeromq) is loaded before the connection file is read.
    const start = await startKernel(spec.argv);
    assert.equal(start.code, 1);
    assert.match(start.stderr, /connection\.json: no such connection file/);
  });

  test("without the optional transport, kernel install warns and kernel start says what to install", async () => {
    // What an install where the optional tslab (or its zeromq) failed looks like: npm leaves it out.
    renameSync(join(installed, "node_modules", "tslab"), join(installed, "node_modules", "tslab-gone"));
    const r = ok(await mergelang(["kernel", "install", "--user"], work), "kernel install --user");
    assert.match(r.stderr, /warning: the Jupyter kernel needs the optional packages tslab and zeromq/);
    const spec = JSON.parse(readFileSync(join(env["HOME"]!, ".local", "share", "jupyter", "kernels", "mergelang", "kernel.json"), "utf8")) as { argv: string[] };
    const start = await startKernel(spec.argv);
    assert.equal(start.code, 1);
    assert.match(start.stderr, /needs the optional packages tslab and zeromq .*npm install -g mergelang --include=optional/);
    assert.ok(!start.stderr.includes("    at "), "no stack trace");
  });

  test("lsp --stdio answers initialize and publishes diagnostics", async () => {
    const project = join(work, "lsp");
    mkdirSync(project);
    const client = await LspClient.start({ root: project, command: [bin, "lsp", "--stdio"] });
    try {
      assert.ok(client.initializeResult?.capabilities.completionProvider, "completion is offered");
      const uri = await client.open(join(project, "bad.merge"), "m = tiess(1)\n");
      const published = await client.until(() => client.published.find((p) => p.uri === uri && p.diagnostics.length > 0), "diagnostics for bad.merge");
      assert.ok(published.diagnostics.some((d) => /tiess/.test(String(d.message))), JSON.stringify(published.diagnostics));
    } finally {
      await client.stop();
    }
  });
});
