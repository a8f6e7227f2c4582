/** `mergelang lsp --stdio`: the language server editors start (VS Code, Neovim, Helix, ...). */
import { fileURLToPath } from "node:url";
import { UsageError, type Command } from "../command.js";

export const lspCommand: Command = {
  name: "lsp",
  summary: "start the language server (--stdio)",
  usage: `usage: mergelang lsp --stdio

Starts the recipe language server, speaking the Language Server Protocol on standard input and
output (--node-ipc and --socket=PORT also work). Editors start it themselves; for example, in
Neovim: vim.lsp.start({ name = "mergelang", cmd = { "mergelang", "lsp", "--stdio" } }).`,
  async run(argv) {
    const { hasTransportArgument, startLanguageServer } = await import("../../lsp/stdio.js");
    if (!hasTransportArgument(argv)) throw new UsageError("lsp needs a transport: run it as 'mergelang lsp --stdio'\n" + this.usage);
    await startLanguageServer({ workerScript: fileURLToPath(new URL("../../lsp/worker.js", import.meta.url)) });
    return 0;
  },
};
