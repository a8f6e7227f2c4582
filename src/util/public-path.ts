/** Local paths as they may appear in a published model: named, never located. */
import { basename, dirname, isAbsolute, relative, sep } from "node:path";

/** A local path under a name that says what it is without saying where it is. */
export function publicPath(path: string, recipeDir: string): string {
  if (!isAbsolute(path)) return path;
  const inside = relative(recipeDir, path);
  if (inside && !inside.startsWith("..") && !isAbsolute(inside)) return inside.split(sep).join("/");
  // A Hugging Face cache folder: .../models--org--name/snapshots/<hash>
  const hub = /models--([^/\\]+)--([^/\\]+)[/\\]snapshots[/\\]/.exec(path);
  if (hub) return `${hub[1]}/${hub[2]}`;
  const name = basename(path);
  return name.endsWith(".safetensors") ? `${basename(dirname(path))}/${name}` : name;
}

/** Recipe text with every string that is an absolute path replaced by its public name. */
export function publicText(source: string, recipeDir: string): string {
  return source.replace(/"((?:[^"\\\r\n]|\\.)*)"/g, (whole, body: string) => {
    const path = body.replace(/\\(.)/g, "$1");
    return isAbsolute(path) || /^~[/\\]/.test(path) ? JSON.stringify(publicPath(path.replace(/^~[/\\]/, "/"), recipeDir)) : whole;
  });
}
