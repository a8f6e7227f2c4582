/** The folder VS Code opens: the example model family and three recipes, one for each part of the tour. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateExampleModels } from "../../../src/demo/example-models.js";

const HEADER = [
  'base = model("models/llama-mini/base")',
  'math = model("models/llama-mini/math")',
  'code = model("models/llama-mini/code")',
];

export const RECIPES = {
  /** A correct TIES merge: highlighting, the code lens, the interference view, running. */
  merge: {
    file: "merge.merge",
    text: [
      "# TIES-merge two fine-tunes of one base.",
      ...HEADER,
      "",
      "merged = ties(math, code, base: base, density: 0.2, lambda: 1.0)",
      '  where "*.self_attn.*" { density: 0.4 }',
      'save(merged, "out/ties", dtype: "bf16")',
      "",
    ],
    /** Where the output folder goes, relative to the workspace. */
    output: "out/ties",
  },
  /** Two mistakes on one line, and the line that fixes both. */
  errors: {
    file: "errors.merge",
    text: ["# Two mistakes: a misspelt name and a density out of range.", ...HEADER, "", "merged = ties(math, cdoe, base: base, density: 1.5)", 'save(merged, "out/fixed")', ""],
    errorCount: 2,
    brokenLine: 6,
    fixedLine: "merged = ties(math, code, base: base, density: 0.5)",
  },
  /** Models bound, the rest typed in the test. */
  scratch: {
    file: "scratch.merge",
    text: ["# Typed by the test.", 'base = model("models/llama-mini/base")', 'a = model("models/llama-mini/math")', 'b = model("models/llama-mini/code")', ""],
  },
} as const;

export interface Workspace {
  dir: string;
  file(name: string): string;
}

export async function makeWorkspace(dir: string): Promise<Workspace> {
  mkdirSync(dir, { recursive: true });
  await generateExampleModels(join(dir, "models"));
  for (const r of Object.values(RECIPES)) writeFileSync(join(dir, r.file), r.text.join("\n"));
  return { dir, file: (name) => join(dir, name) };
}
