/** The README.md model card of a saved merge: what was merged, and the recipe that did it. */
import { basename } from "node:path";
import type { SaveEffect } from "../graph/graph.js";

export function modelCard(effect: SaveEffect, tensorCount: number, parameterCount: number): string {
  const fence = effect.recipe.text.includes("```") ? "~~~~" : "```";
  return [
    "---",
    "library_name: transformers",
    "tags:",
    "- mergelang",
    "- merge",
    "---",
    "",
    `# ${basename(effect.path)}`,
    "",
    `This model is a merge made with mergelang: ${effect.summary}.`,
    "",
    `- tensors: ${tensorCount}, parameters: ${parameterCount.toLocaleString("en-US")}`,
    `- dtype: ${effect.dtype}`,
    `- recipe: \`${basename(effect.recipe.file)}\` (hash \`${effect.recipe.hash}\`)`,
    "",
    "## Recipe",
    "",
    `${fence}mergelang`,
    effect.recipe.text.replace(/\s+$/, ""),
    fence,
    "",
  ].join("\n");
}

/** `__metadata__` entries of the saved safetensors files. */
export function modelMetadata(effect: SaveEffect): Record<string, string> {
  return {
    "mergelang.recipe": effect.recipe.text,
    "mergelang.recipe_hash": effect.recipe.hash,
    "mergelang.summary": effect.summary,
  };
}
