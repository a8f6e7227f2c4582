/**
 * The README.md model card of a saved merge, in the shape the Hugging Face Hub and mergekit users
 * expect: front matter with `base_model` and `tags`, the method with its paper, the models merged,
 * and the statements of the recipe that produced this output. It and `__metadata__` carry no
 * absolute local path (see graph/provenance.ts).
 */
import { basename } from "node:path";
import type { Provenance, SaveEffect } from "../graph/graph.js";
import { grouped } from "../util/grouped.js";

/** A YAML scalar: plain when it is safe, else double-quoted (JSON strings are valid YAML). */
const yamlScalar = (s: string): string => (/^[A-Za-z0-9_][\w./-]*$/.test(s) ? s : JSON.stringify(s));
const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;

export function modelCard(effect: SaveEffect, tensorCount: number, parameterCount: number): string {
  const p = effect.provenance;
  // Graphs built without a recipe (tests, a notebook's intermediate results) carry their text as it is.
  const statements = p?.statements ?? (effect.recipe.text || effect.summary);
  const fence = statements.includes("```") ? "~~~~" : "```";
  const modelLine = (m: Provenance["models"][number]): string => `- ${code(m.name)}${m.binding && m.binding !== m.name ? ` (${m.binding})` : ""}`;
  const bases = p?.models.filter((m) => m.role === "base") ?? [];
  const merged = p?.models.filter((m) => m.role === "merged") ?? [];
  return [
    "---",
    ...(p && p.models.length ? ["base_model:", ...p.models.map((m) => `- ${yamlScalar(m.name)}`)] : []),
    "library_name: transformers",
    "tags:",
    "- merge",
    "- mergelang",
    "---",
    "",
    `# ${basename(effect.path)}`,
    "",
    `This model is a merge of pre-trained models made with mergelang: ${code(effect.summary.replace(/\s+/g, " "))}.`,
    "",
    ...(p ? methodSection(p, bases) : []),
    ...(merged.length ? ["## Models merged", "", ...merged.map(modelLine), ""] : []),
    ...(bases.length ? ["Base model:", "", ...bases.map(modelLine), ""] : []),
    "## Output",
    "",
    `- tensors: ${tensorCount}, parameters: ${grouped(parameterCount)}`,
    `- dtype: ${effect.dtype}`,
    "",
    "## Recipe",
    "",
    `The statements of ${code(p?.recipeFile ?? basename(effect.recipe.file))} that produced this model (recipe hash ${code(effect.recipe.hash.slice(0, 16))}):`,
    "",
    `${fence}mergelang`,
    statements.replace(/\s+$/, ""),
    fence,
    "",
  ].join("\n");
}

function methodSection(p: Provenance, bases: Provenance["models"]): string[] {
  if (p.methods.length === 0) return [];
  const described = p.methods.map((m) => {
    if (m.name === "arithmetic") return "weights combined by arithmetic on models and task vectors";
    return m.paper ? `${code(m.name)}, from [${m.paper.title}](${m.paper.url}) (${m.paper.authors}, ${m.paper.venue})` : code(m.name);
  });
  const base = bases.length ? `, with ${bases.map((b) => code(b.name)).join(" and ")} as the base` : "";
  return ["## Merge method", "", `Merged with ${described.join("; then ")}${base}.`, ""];
}

/** `__metadata__` entries of the saved safetensors files: the producing statements, never local paths. */
export function modelMetadata(effect: SaveEffect): Record<string, string> {
  return {
    "mergelang.recipe": effect.provenance?.statements ?? effect.recipe.text,
    "mergelang.recipe_hash": effect.recipe.hash,
    "mergelang.summary": effect.summary,
  };
}
