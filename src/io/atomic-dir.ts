/**
 * Atomic output folders: everything is written into a hidden sibling folder, which replaces the
 * destination by rename only once complete. A failed run leaves the destination as it was.
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

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
    name.endsWith(".yaml") || name === "tokenizer.model" || name === "merges.txt" || name === "vocab.txt" ||
    name === "chat_template.jinja" || name === ".gitattributes"
  );
}

/** Refuses destinations whose replacement could destroy something that is not a saved model. */
export function checkReplaceable(dest: string): void {
  let st;
  try {
    st = lstatSync(dest);
  } catch {
    return; // does not exist yet
  }
  if (!st.isDirectory()) {
    throw new OutputFolderError(dest, `cannot save to ${dest}: it exists and is not a folder`);
  }
  const foreign = readdirSync(dest, { withFileTypes: true }).find((e) => !e.isFile() || !isModelOutputFile(e.name));
  if (foreign) {
    throw new OutputFolderError(
      dest,
      `cannot save to ${dest}: the folder exists and holds ${foreign.isDirectory() ? "the subfolder" : "the file"} "${foreign.name}", ` +
        "which is not part of a saved model; choose another output folder or empty this one",
    );
  }
}

const tempPattern = (name: string): RegExp =>
  new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.tmp-(\\d+)-[0-9a-f]+$`);

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes temporary folders that crashed runs left next to `dest` (their process is gone). A stray
 * `.old-` folder is kept: after a crash mid-replace it may be the only copy of the previous output.
 */
function removeStaleTemps(dest: string): void {
  const parent = dirname(dest);
  const re = tempPattern(basename(dest));
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const n of names) {
    const m = re.exec(n);
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) rmSync(join(parent, n), { recursive: true, force: true });
  }
}

function siblingName(dest: string, kind: "tmp" | "old"): string {
  return join(dirname(dest), `.${basename(dest)}.${kind}-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/** Creates the hidden temporary sibling of `dest` (and dest's parent folders). */
export function createTempSibling(dest: string): string {
  checkReplaceable(dest);
  mkdirSync(dirname(dest), { recursive: true });
  removeStaleTemps(dest);
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
export function publish(tmp: string, dest: string): void {
  checkReplaceable(dest);
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
