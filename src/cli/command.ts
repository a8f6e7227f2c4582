/** A CLI command: its name, one-line summary, usage text, and a lazily imported implementation. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** A user-facing failure: printed as `mergelang: message`, exit 1, never a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
