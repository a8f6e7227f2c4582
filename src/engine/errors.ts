/** Errors the engine reports to users: a message that names the recipe location and the tensor. */
import type { Origin } from "../graph/graph.js";

export class EngineError extends Error {
  override readonly name = "EngineError";
  constructor(
    message: string,
    readonly origin?: Origin,
    readonly tensor?: string,
  ) {
    super(message);
  }
}

/** Thrown when the caller's AbortSignal stops a run; nothing half-written is left behind. */
export class EngineAbortedError extends Error {
  override readonly name = "AbortError";
  constructor(message = "the merge was cancelled") {
    super(message);
  }
}

export function formatOrigin(o: Origin): string {
  return `${o.file}:${o.line}:${o.column}`;
}

/** "recipe.merge:5:10: message" */
export function atOrigin(origin: Origin | undefined, message: string): string {
  return origin ? `${formatOrigin(origin)}: ${message}` : message;
}
