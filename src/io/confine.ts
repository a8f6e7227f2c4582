/**
 * Every file of a model is read from inside its folder: an index entry such as
 * `../outside.safetensors`, or a shard, config or tokenizer file that is a symbolic link to
 * somewhere else, is refused before it is opened. The one exception is the Hugging Face cache,
 * whose snapshot folders hold links into the same repository's `blobs/` folder.
 */
import { realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import { ModelFormatError } from "./errors.js";

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** The folders a model folder's files may really lie in (after links are followed). */
export function allowedRoots(folder: string): string[] {
  const roots: string[] = [];
  const real = realOrNull(folder);
  if (real) roots.push(real);
  // <cache>/models--org--name/snapshots/<revision>/ links into <cache>/models--org--name/blobs/.
  const repo = dirname(dirname(folder));
  if (basename(dirname(folder)) === "snapshots" && /^(models|datasets|spaces)--/.test(basename(repo))) {
    const blobs = realOrNull(join(repo, "blobs"));
    if (blobs) roots.push(blobs);
  }
  return roots;
}

/**
 * The path of `name` (as an index or a file listing gives it) inside model folder `folder`, after
 * checking that it stays there: a ModelFormatError "outside-folder" otherwise. A file that does not
 * exist is returned as it is, for the caller's own "missing" message.
 */
export function confinedPath(folder: string, name: string, referrer: string, tensor?: string): string {
  const refuse = (why: string): never => {
    throw new ModelFormatError(
      "outside-folder",
      referrer,
      `${referrer} names ${JSON.stringify(name)}${tensor === undefined ? "" : ` for tensor "${tensor}"`}, ${why}: ` +
        `mergelang reads a model's files only from inside its folder ${folder}`,
      tensor,
    );
  };
  if (isAbsolute(name) || name.includes("\0")) refuse("an absolute path");
  const path = join(folder, name);
  if (!inside(folder, path)) refuse("which is outside the model folder");
  const real = realOrNull(path);
  if (real === null) return path;
  if (!allowedRoots(folder).some((root) => inside(root, real))) refuse(`which is a link to ${real}, outside the model folder`);
  return path;
}

/** `confinedPath` for a file the folder itself holds by a fixed name (config.json, tokenizer files). */
export function confinedOwnFile(folder: string, name: string): string {
  return confinedPath(folder, name, join(folder, name));
}
