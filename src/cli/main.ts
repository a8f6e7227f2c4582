#!/usr/bin/env node
/** The `mergelang` command line: run | search | check | inspect | fmt | lsp | kernel | import | fetch. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError, type Command } from "./command.js";

/** Commands load lazily so `check` never pays for the kernel's or the engine's imports. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  check: { summary: "check recipes: syntax, types, parameters and model headers", load: async () => (await import("./commands/check.js")).checkCommand },
  fmt: { summary: "format recipes canonically (--check to verify)", load: async () => (await import("./commands/fmt.js")).fmtCommand },
  run: { summary: "run a recipe: merge the models and write the outputs", load: async () => (await import("./commands/run.js")).runCommand },
  search: { summary: "search a recipe's search(...) coefficients on validation data (optimize(...))", load: async () => (await import("./commands/search.js")).searchCommand },
  inspect: { summary: "per-layer interference reports (text, HTML, SVG, JSON)", load: async () => (await import("./commands/inspect.js")).inspectCommand },
  lsp: { summary: "start the language server (--stdio)", load: async () => (await import("./commands/lsp.js")).lspCommand },
  fetch: { summary: "download Hugging Face models into the local cache", load: async () => (await import("./commands/fetch.js")).fetchCommand },
  import: { summary: "print the recipe equivalent to a mergekit YAML config", load: async () => (await import("./commands/import.js")).importCommand },
  kernel: { summary: "the Jupyter kernel: install | remove | start", load: async () => (await import("./commands/kernel.js")).kernelCommand },
};

/** The package's version, from the nearest package.json above this file named mergelang. */
function version(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "mergelang" && pkg.version) return pkg.version;
  }
  return "unknown";
}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    "mergelang: merge fine-tuned model weights with recipes (TIES, PCB, task arithmetic, ...)",
    "",
    "usage: mergelang COMMAND [options]",
    "",
    "commands:",
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "mergelang COMMAND --help shows a command's options. mergelang --version prints the version.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(version());
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`mergelang: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))) {
      console.error(`mergelang ${name}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Unexpected failures still get one line, not a stack trace; MERGELANG_DEBUG=1 shows it.
    console.error(`mergelang: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env["MERGELANG_DEBUG"]) console.error(e);
    process.exitCode = 1;
  },
);
