/**
 * Notebook sessions: the recipe state of a Jupyter kernel, also usable from code (tslab's TypeScript
 * notebooks, scripts): run cells, get their outputs as mimebundles, complete and inspect.
 */
export { Session, type SessionOptions, type CellOutcome, type RunOptions, type BindingSummary } from "./session.js";
export type { CellOutput, DisplayTarget } from "./output.js";
export { CellResult, type CellOutputItem, type RichDisplay } from "./cell-result.js";
export type { MimeBundle } from "./mimebundle.js";
export type { CellError } from "./cell-error.js";
export type { Completion, CompletionItem, CompletionKind } from "./completion.js";
export type { Inspection } from "./inspection.js";
export type { Completeness } from "./is-complete.js";
export { TensorCache, DEFAULT_CACHE_BYTES, type CacheStats } from "./tensor-cache.js";
export { REPORT_MIME } from "./report-display.js";
export { cursorContext, wordAt, type CursorContext, type OpenCall } from "./token-context.js";
export { magicHelp } from "./magics.js";
export { parseCacheSize } from "./magic-commands.js";
