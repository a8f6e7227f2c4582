/** Model headers kept in memory, re-read only when one of their files changed (size or mtime). */
import { resolve } from "node:path";
import { type ModelHeader, readModelHeader, statKey, watchedFiles } from "./model-header.js";

export class HeaderCache {
  private readonly entries = new Map<string, ModelHeader>();

  get(path: string): ModelHeader {
    const abs = resolve(path);
    const cached = this.entries.get(abs);
    if (cached && currentKey(cached) === cached.mtimeKey) return cached;
    this.entries.delete(abs);
    const fresh = readModelHeader(abs);
    this.entries.set(abs, fresh);
    return fresh;
  }

  /** Forget one model (or all): the next get reads the files again. */
  invalidate(path?: string): void {
    if (path === undefined) this.entries.clear();
    else this.entries.delete(resolve(path));
  }
}

function currentKey(h: ModelHeader): string {
  return statKey(watchedFiles(h.path, h.kind, h.files));
}
