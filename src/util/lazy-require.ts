/**
 * Packages loaded on first use rather than at start-up: TensorFlow.js, ml-matrix, yaml and Jinja
 * cost 30–110 ms each to load, in the main thread and in every engine thread, and most runs never
 * call them. `require` of a package without an `exports` map gives the same instance that an
 * `import` of it elsewhere does (both take its `main`), so a lazily loaded TensorFlow.js is the one
 * the backends register with.
 */
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

/** Whether `name` is loaded already, by a lazy require or an import elsewhere (both fill require's cache). */
export function loadedAlready(name: string): boolean {
  try {
    return load.resolve(name) in load.cache;
  } catch {
    return false;
  }
}

/** A function that loads `name` on its first call and returns the same module after. */
export function lazyRequire<T>(name: string): () => T {
  let module: T | undefined;
  return () => (module ??= load(name) as T);
}
