/** Glob patterns worth suggesting in `where "..."`, derived from the models' tensor names. */
import { globToRegExp, layerIndex } from "../graph/params.js";

export interface GlobSuggestion {
  pattern: string;
  /** Tensors the pattern matches. */
  count: number;
  /** One of them, as an example. */
  example: string;
}

/**
 * For layer tensors (`model.layers.N.self_attn.q_proj.weight`) the module paths inside a layer
 * (`*.self_attn.*`, `*.self_attn.q_proj.*`); for the others (embeddings, norms, head) their module
 * (`model.embed_tokens.*`) and full name. In first-seen order, layer modules first.
 */
export function globSuggestions(tensorNames: Iterable<string>): GlobSuggestion[] {
  const names = [...tensorNames];
  const layerPatterns: string[] = [];
  const otherPatterns: string[] = [];
  const add = (list: string[], p: string): void => {
    if (!layerPatterns.includes(p) && !otherPatterns.includes(p)) list.push(p);
  };
  for (const name of names) {
    if (layerIndex(name) !== null) {
      const inner = name.replace(/^(?:.*\.)?layers\.\d+\./, "").split(".");
      for (let k = 1; k < inner.length; k++) add(layerPatterns, `*.${inner.slice(0, k).join(".")}.*`);
    } else {
      const parts = name.split(".");
      if (parts.length > 1) add(otherPatterns, `${parts.slice(0, -1).join(".")}.*`);
      add(otherPatterns, name);
    }
  }
  return [...layerPatterns, ...otherPatterns].map((pattern) => {
    const re = globToRegExp(pattern);
    let count = 0;
    let example = "";
    for (const n of names) {
      if (!re.test(n)) continue;
      if (count === 0) example = n;
      count++;
    }
    return { pattern, count, example };
  });
}
