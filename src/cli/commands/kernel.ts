/** `mergelang kernel install | remove | start`: the Jupyter kernel and its kernelspec. */
import { parseArgs } from "node:util";
import { UsageError, type Command } from "../command.js";

const usage = `usage: mergelang kernel install [--user | --prefix DIR | --sys-prefix] [--name NAME] [--display-name TEXT] [--cache SIZE]
       mergelang kernel remove  [--user | --prefix DIR | --sys-prefix] [--name NAME]
       mergelang kernel start CONNECTION_FILE [--cache SIZE]

install writes the kernelspec (kernel.json and logos) where Jupyter finds it: the per-user Jupyter
folder (--user, the default), DIR/share/jupyter (--prefix DIR) or the active Python environment
(--sys-prefix). --cache sets the notebook's tensor cache cap (e.g. 2GB; default 1GB; also
MERGELANG_CACHE or the %cache magic). remove deletes it. start runs the kernel; Jupyter calls it.`;

type Location = import("../../../kernel/kernelspec.js").SpecLocation;

function location(values: { user?: boolean; prefix?: string; "sys-prefix"?: boolean }): Location {
  const chosen = [values.user, values.prefix !== undefined, values["sys-prefix"]].filter(Boolean).length;
  if (chosen > 1) throw new UsageError("choose one of --user, --prefix DIR and --sys-prefix");
  if (values.prefix !== undefined) return { kind: "prefix", dir: values.prefix };
  if (values["sys-prefix"]) return { kind: "sys-prefix" };
  return { kind: "user" };
}

export const kernelCommand: Command = {
  name: "kernel",
  summary: "the Jupyter kernel: install | remove | start",
  usage,
  async run(argv) {
    const [action, ...rest] = argv;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        user: { type: "boolean" },
        prefix: { type: "string" },
        "sys-prefix": { type: "boolean" },
        name: { type: "string" },
        "display-name": { type: "string" },
        cache: { type: "string" },
      },
    });
    switch (action) {
      case "install": {
        if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'\n${usage}`);
        const { installKernelSpec } = await import("../../../kernel/kernelspec.js");
        if (values.cache !== undefined) {
          const { parseCacheSize } = await import("../../session/index.js");
          try {
            parseCacheSize(values.cache);
          } catch (e) {
            throw new UsageError(`--cache: ${(e as Error).message}`);
          }
        }
        const dir = installKernelSpec(location(values), {
          ...(values.name ? { name: values.name } : {}),
          ...(values["display-name"] ? { displayName: values["display-name"] } : {}),
          ...(values.cache !== undefined ? { env: { MERGELANG_CACHE: values.cache } } : {}),
        });
        console.log(`installed the mergelang kernel in ${dir}`);
        // The kernelspec needs no transport, but a notebook would find a kernel that cannot start.
        const { transportProblem } = await import("../../../kernel/transport.js");
        const problem = transportProblem();
        if (problem !== null) console.error(`mergelang kernel: warning: ${problem}`);
        return 0;
      }
      case "remove": {
        if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'\n${usage}`);
        const { removeKernelSpec } = await import("../../../kernel/kernelspec.js");
        const dir = removeKernelSpec(location(values), values.name);
        if (dir === null) {
          console.error("mergelang kernel: no mergelang kernelspec there");
          return 1;
        }
        console.log(`removed ${dir}`);
        return 0;
      }
      case "start": {
        const file = positionals[0];
        if (!file || positionals.length > 1) throw new UsageError(`start needs one connection file\n${usage}`);
        // Loaded only here: tslab's transport brings its TypeScript fork (~0.3 s) and the native zeromq.
        const { loadKernel } = await import("../../../kernel/transport.js");
        const { startKernel } = await loadKernel();
        await startKernel(file, values.cache !== undefined ? { cache: values.cache } : {});
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown action '${action}'\n${usage}` : usage);
    }
  },
};
