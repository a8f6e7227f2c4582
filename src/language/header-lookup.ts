/** The analyzer's model lookup over io's header cache: headers only, re-read when files change. */
import { HeaderCache, isFloatDType, ModelFormatError, type ModelHeader } from "../io/index.js";
import type { ModelLookup, ModelLookupResult } from "./model-lookup.js";
import type { ModelFamily } from "./values.js";

const families = new WeakMap<ModelHeader, ModelFamily>();

function familyOf(h: ModelHeader): ModelFamily {
  let f = families.get(h);
  if (!f) {
    f = { path: h.path, tensors: h.tensors, layerCount: h.layerCount, floatDType: h.dtypes.find(isFloatDType) ?? null };
    families.set(h, f);
  }
  return f;
}

export function headerLookup(cache: HeaderCache = new HeaderCache()): ModelLookup & { cache: HeaderCache } {
  return {
    cache,
    lookup(absPath: string): ModelLookupResult {
      try {
        return { ok: true, family: familyOf(cache.get(absPath)) };
      } catch (e) {
        if (e instanceof ModelFormatError) {
          return { ok: false, code: e.code === "missing-file" ? "model-not-found" : "model-format", message: e.message };
        }
        return { ok: false, code: "model-format", message: `cannot read the model at ${absPath}: ${(e as Error).message}` };
      }
    },
  };
}
