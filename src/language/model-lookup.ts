/** How the analyzer reads model headers: an interface, so editors and tests can cache or fake it. */
import type { ModelFamily } from "./values.js";

export type ModelLookupResult =
  | { ok: true; family: ModelFamily }
  | { ok: false; code: "model-not-found" | "model-format"; message: string };

export interface ModelLookup {
  /** `absPath` is a folder or a .safetensors file. Must not throw. */
  lookup(absPath: string): ModelLookupResult;
}
