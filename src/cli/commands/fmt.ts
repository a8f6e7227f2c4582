/** `mergelang fmt FILE... [--check] [--stdout]`: canonical layout, in place unless told otherwise. */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { formatRecipe } from "../../language/formatter.js";
import { formatDiagnostic } from "../diagnostics-output.js";
import { UsageError, type Command } from "../command.js";
import { parseCommandArgs } from "../args.js";

export const fmtCommand: Command = {
  name: "fmt",
  summary: "format recipes canonically (--check to verify)",
  usage: `usage: mergelang fmt FILE... [--check] [--stdout]

Rewrites each recipe in the canonical layout. --check changes nothing and exits 1 when a
file is not formatted. --stdout prints the formatted text instead of writing it. A file
with syntax errors is left untouched and its errors are printed.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("fmt", argv, { check: { type: "boolean" }, stdout: { type: "boolean" } });
    if (positionals.length === 0) throw new UsageError("fmt needs at least one recipe file\n" + this.usage);
    let status = 0;
    for (const file of positionals) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        throw new UsageError(`${file}: cannot read the file`);
      }
      const result = formatRecipe(text);
      if (!result.ok) {
        for (const d of result.diagnostics) console.error(formatDiagnostic(file, d, text));
        status = 1;
        continue;
      }
      if (values.stdout) process.stdout.write(result.text);
      else if (values.check) {
        if (result.text !== text) {
          console.log(`${file}: not formatted`);
          status = 1;
        }
      } else if (result.text !== text) {
        // Write beside and rename: an interrupted fmt never leaves half a recipe.
        const tmp = `${file}.fmt-${process.pid}.tmp`;
        writeFileSync(tmp, result.text);
        renameSync(tmp, file);
        console.log(`formatted ${file}`);
      }
    }
    return status;
  },
};
