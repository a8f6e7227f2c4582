/** The bundled language server's entry (dist/server.cjs): the worker threads are bundled beside it. */
import { join } from "node:path";
import { startLanguageServer } from "../../src/lsp/stdio.js";

void startLanguageServer({ workerScript: join(__dirname, "lsp-worker.cjs") });
