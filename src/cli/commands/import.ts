/** `mergelang import CONFIG.yml [--out DIR] [--no-models]`: a mergekit YAML config as a recipe. */
import { existsSync, readFileSync } from "node:fs";
import { recipeFromMergekitYaml } from "../../mergekit/index.js";
import { formatDiagnostic } from "../diagnostics-output.js";
import { UsageError, type Command } from "../command.js";
import { parseCommandArgs } from "../args.js";

export const importCommand: Command = {
  name: "import",
  summary: "print the recipe equivalent to a mergekit YAML config",
  usage: `usage: mergelang import CONFIG.yml [--out DIR] [--no-models]

Translates a mergekit config (merge_method, models or slices, base_model, parameters with
filters and gradients, dtype, tokenizer_source or tokenizer:, chat_template) into a recipe and prints it. Model paths stay
relative to the YAML file, so save the recipe next to it. Settings mergelang cannot run are
errors naming their key and line. mergelang run and check also take the YAML file directly.
  --out DIR     the folder the recipe saves the merge to (default: CONFIG-merged)
  --no-models   do not read the models' headers (per-tensor values are not checked)`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("import", argv, { out: { type: "string" }, "no-models": { type: "boolean" } });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError("import takes one mergekit YAML file\n" + this.usage);
    if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
    const text = readFileSync(file, "utf8");
    const result = recipeFromMergekitYaml(text, file, {
      ...(values.out !== undefined ? { output: values.out } : {}),
      ...(values["no-models"] ? { models: null } : {}),
    });
    for (const d of result.diagnostics) if (d.severity !== "hint") console.error(formatDiagnostic(file, d, text));
    // A recipe with errors is not printed: `import bad.yml > x.merge` must not leave a broken recipe.
    if (result.diagnostics.some((d) => d.severity === "error") || result.recipe === null) {
      console.error(`mergelang import: ${file} has errors; no recipe was printed`);
      return 1;
    }
    process.stdout.write(result.recipe);
    return 0;
  },
};
