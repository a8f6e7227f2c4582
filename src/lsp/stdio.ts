/** Starts the language server on the transport named on the command line (`--stdio`, `--node-ipc`, ...). */
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startServer, type ServerOptions } from "./server.js";

/** Transports `createConnection` understands from the process's arguments. */
export function hasTransportArgument(argv: readonly string[]): boolean {
  return argv.some((a) => a === "--stdio" || a === "--node-ipc" || /^--(socket|pipe)(=|$)/.test(a));
}

/** Serves until the client says exit (the connection then ends the process). */
export function startLanguageServer(options: ServerOptions): Promise<void> {
  // Reads the transport from process.argv; with --stdio it also sends console output to the client's log.
  const connection = createConnection(ProposedFeatures.all);
  startServer(connection, options);
  return new Promise<void>((resolve) => connection.onExit(() => resolve()));
}
