/** Folder completion inside `model("...")`: what lies in the folder typed so far, relative to the recipe. */
import { existsSync, readdirSync, statSync, type Dirent } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { INDEX_FILE, SINGLE_FILE } from "../io/model-header.js";

export type PathEntryKind = "model-folder" | "folder" | "safetensors";

export interface PathEntry {
  name: string;
  kind: PathEntryKind;
}

export interface PathListing {
  /** Length of the folder part of what was typed (entries replace what follows it). */
  folderLength: number;
  entries: PathEntry[];
}

const MAX_ENTRIES = 500;

/** A folder that `model(...)` can load: it has model.safetensors, an index, or .safetensors files. */
export function isModelFolder(dir: string): boolean {
  if (existsSync(join(dir, SINGLE_FILE)) || existsSync(join(dir, INDEX_FILE))) return true;
  try {
    return readdirSync(dir).some((f) => f.endsWith(".safetensors"));
  } catch {
    return false;
  }
}

/** Entries of the folder in `typed` (text before the cursor inside the string), resolved from `recipeDir`. */
export function listModelPaths(recipeDir: string, typed: string): PathListing {
  const slash = typed.lastIndexOf("/");
  const folderPart = slash >= 0 ? typed.slice(0, slash + 1) : "";
  const partial = typed.slice(folderPart.length);
  const dir = folderPart === "" ? recipeDir : isAbsolute(folderPart) ? folderPart : resolve(recipeDir, folderPart);
  let dirents: Dirent[];
  try {
    dirents = readdirSync(dir, { withFileTypes: true });
  } catch {
    return { folderLength: folderPart.length, entries: [] };
  }
  const entries: PathEntry[] = [];
  for (const d of dirents) {
    if (entries.length >= MAX_ENTRIES) break;
    if (d.name.startsWith(".") && !partial.startsWith(".")) continue;
    if (d.isDirectory() || (d.isSymbolicLink() && isDirectory(join(dir, d.name)))) {
      if (d.name === "node_modules") continue;
      entries.push({ name: d.name, kind: isModelFolder(join(dir, d.name)) ? "model-folder" : "folder" });
    } else if (d.name.endsWith(".safetensors")) {
      entries.push({ name: d.name, kind: "safetensors" });
    }
  }
  const rank: Record<PathEntryKind, number> = { "model-folder": 0, safetensors: 1, folder: 2 };
  entries.sort((a, b) => rank[a.kind] - rank[b.kind] || a.name.localeCompare(b.name));
  return { folderLength: folderPart.length, entries };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
