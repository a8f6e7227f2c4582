/**
 * Atomic output folders: everything is written into a hidden sibling folder, which replaces the
 * destination by rename only once complete. A failed run leaves the destination as it was.
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { readSafetensorsHeader } from "./safetensors-file.js";

export class OutputFolderError extends Error {
  override readonly name = "OutputFolderError";
  constructor(readonly path: string, message: string) {
    super(message);
  }
}

/** Files a saved model folder may hold; a folder holding anything else is never replaced. */
function isModelOutputFile(name: string): boolean {
  return (
    name.endsWith(".safetensors") || name.endsWith(".json") || name.endsWith(".md") || name.endsWith(".yml") ||
    name.endsWith(".yaml") || name.endsWith(".jinja") || name === "tokenizer.model" || name === "merges.txt" ||
    name === "vocab.txt" || name === ".gitattributes"
  );
}

/** The `__metadata__` key prefix every safetensors file mergelang writes carries. */
export const MERGELANG_METADATA_PREFIX = "mergelang";

/** Whether a safetensors file's header metadata says mergelang wrote it (reads the header only). */
function writtenByMergelang(file: string): boolean {
  try {
    const h = readSafetensorsHeader(file);
    return Object.keys(h.metadata).some((k) => k.startsWith(MERGELANG_METADATA_PREFIX));
  } catch {
    return false;
  }
}

export interface ReplaceOptions {
  /** Replace an existing folder whatever it holds (the user said so: `overwrite: true`, `--overwrite`). */
  overwrite?: boolean;
}

function listing(names: string[]): string {
  const shown = names.slice(0, 6).map((n) => `"${n}"`).join(", ");
  return names.length > 6 ? `${shown} and ${names.length - 6} more` : shown;
}

/**
 * Why `dest` must not be replaced, or null when it may: it does not exist, is empty, or is a model
 * folder mergelang wrote (only model files, and safetensors files carrying mergelang's metadata).
 * Anything else is kept unless `overwrite` is given.
 */
export function replaceRefusal(dest: string, opts: ReplaceOptions = {}): string | null {
  let st;
  try {
    st = lstatSync(dest);
  } catch {
    return null; // does not exist yet
  }
  if (!st.isDirectory()) return `cannot save to ${dest}: it exists and is not a folder`;
  if (opts.overwrite) return null;
  const entries = readdirSync(dest, { withFileTypes: true });
  if (entries.length === 0) return null;
  const names = entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort();
  const fix = "choose another output folder, empty this one, or pass overwrite: true to save (--overwrite on the command line) to replace it";
  const foreign = entries.find((e) => !e.isFile() || !isModelOutputFile(e.name));
  if (foreign) {
    return (
      `cannot save to ${dest}: the folder exists and holds ${foreign.isDirectory() ? "the subfolder" : "the file"} "${foreign.name}", ` +
      `which is not part of a saved model (it holds ${listing(names)}); ${fix}`
    );
  }
  const shards = entries.filter((e) => e.name.endsWith(".safetensors")).map((e) => join(dest, e.name));
  if (shards.length === 0 || !shards.every(writtenByMergelang)) {
    return `cannot save to ${dest}: the folder exists and was not written by mergelang (it holds ${listing(names)}); ${fix}`;
  }
  return null;
}

/** Refuses destinations whose replacement could destroy something that is not a saved model. */
export function checkReplaceable(dest: string, opts: ReplaceOptions = {}): void {
  const why = replaceRefusal(dest, opts);
  if (why !== null) throw new OutputFolderError(dest, why);
}

const siblingPattern = (name: string): RegExp =>
  new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(tmp|old)-(\\d+)-[0-9a-f]+$`);

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Cleans up after runs that were killed while saving to `dest` (their process is gone): temporary
 * folders are removed; an `.old-` folder (the previous output, moved aside just before the new one
 * was renamed into place) is removed when `dest` exists, or renamed back to `dest` when the new
 * output never arrived.
 */
export function recoverStaleSiblings(dest: string): void {
  const parent = dirname(dest);
  const re = siblingPattern(basename(dest));
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  const stale = names
    .map((n) => ({ n, m: re.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null && Number(x.m[2]) !== process.pid && !processAlive(Number(x.m[2])));
  const olds = stale.filter((x) => x.m[1] === "old").map((x) => join(parent, x.n));
  if (olds.length > 0 && !existsSync(dest)) {
    // The newest moved-aside output is the one the interrupted run replaced.
    olds.sort((a, b) => lstatSync(b).mtimeMs - lstatSync(a).mtimeMs);
    renameSync(olds.shift()!, dest);
  }
  for (const old of olds) rmSync(old, { recursive: true, force: true });
  for (const x of stale) if (x.m[1] === "tmp") rmSync(join(parent, x.n), { recursive: true, force: true });
}

function siblingName(dest: string, kind: "tmp" | "old"): string {
  return join(dirname(dest), `.${basename(dest)}.${kind}-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/** Creates the hidden temporary sibling of `dest` (and dest's parent folders). */
export function createTempSibling(dest: string, opts: ReplaceOptions = {}): string {
  recoverStaleSiblings(dest);
  checkReplaceable(dest, opts);
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = siblingName(dest, "tmp");
  mkdirSync(tmp);
  return tmp;
}

function fsyncPath(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync folders; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Moves the finished temporary folder into place, replacing an earlier output only after it is complete. */
export function publish(tmp: string, dest: string, opts: ReplaceOptions = {}): void {
  checkReplaceable(dest, opts);
  fsyncPath(tmp);
  if (!existsSync(dest)) {
    renameSync(tmp, dest);
  } else {
    const old = siblingName(dest, "old");
    renameSync(dest, old);
    try {
      renameSync(tmp, dest);
    } catch (e) {
      renameSync(old, dest);
      throw e;
    }
    rmSync(old, { recursive: true, force: true });
  }
  fsyncPath(dirname(dest));
}

export function removeTemp(tmp: string): void {
  rmSync(tmp, { recursive: true, force: true });
}
