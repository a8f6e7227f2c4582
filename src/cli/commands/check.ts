/** `mergelang check FILE... [--json] [--no-models]`: diagnostics for recipes, exit 1 on errors. */
import { existsSync, readFileSync } from "node:fs";
import type { Graph } from "../../graph/graph.js";
import { checkRecipe, hasErrors } from "../../language/service.js";
import { checkMergekitYaml, isMergekitConfigPath } from "../../mergekit/index.js";
import { diagnosticToJson, formatDiagnostic } from "../diagnostics-output.js";
import { UsageError, type Command } from "../command.js";
import { parseCommandArgs } from "../args.js";

/** What a clean check covered: "4 statements, 3 models checked". */
function checkedSummary(checked: { graph: Graph | null }, statements: number | null, noModels: boolean): string {
  const models = new Set(checked.graph?.nodes.flatMap((n) => (n.kind === "load" ? [n.path] : [])) ?? []).size;
  const parts = statements === null ? [] : [`${statements} statement${statements === 1 ? "" : "s"}`];
  parts.push(`${models} model${models === 1 ? "" : "s"} ${noModels ? "named (headers not read: --no-models)" : "checked"}`);
  return parts.join(", ");
}

export const checkCommand: Command = {
  name: "check",
  summary: "check recipes: syntax, types, parameters and model headers",
  usage: `usage: mergelang check FILE... [--json] [--no-models] [--hints]

Prints file:line:col: error|warning CODE: message for every problem and exits 1 when
there is an error. --json prints one JSON array. --no-models skips the checks that read
model headers. --hints also shows hints (unused bindings). A mergekit config (.yml) is
checked as the recipe it imports to, with its problems at YAML lines.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("check", argv, { json: { type: "boolean" }, "no-models": { type: "boolean" }, hints: { type: "boolean" } });
    if (positionals.length === 0) throw new UsageError("check needs at least one recipe file\n" + this.usage);
    const json: Record<string, unknown>[] = [];
    let errors = 0;
    let warnings = 0;
    const color = process.stdout.isTTY === true && !process.env["NO_COLOR"];
    for (const file of positionals) {
      if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
      const text = readFileSync(file, "utf8");
      const options = values["no-models"] ? { models: null } : {};
      const checked = isMergekitConfigPath(file) ? checkMergekitYaml(text, file, options) : checkRecipe(text, file, options);
      for (const d of checked.diagnostics) {
        if (d.severity === "hint" && !values.hints && !values.json) continue;
        if (d.severity === "error") errors++;
        if (d.severity === "warning") warnings++;
        if (values.json) json.push(diagnosticToJson(checked.file, d));
        else console.log(formatDiagnostic(file, d, text, color));
      }
      if (hasErrors(checked.diagnostics)) process.exitCode = 1;
      else if (!values.json) console.error(`${file}: ok, ${checkedSummary(checked, "parse" in checked ? checked.parse.program.statements.length : null, values["no-models"] === true)}`);
    }
    if (values.json) console.log(JSON.stringify(json, null, 2));
    else if (errors + warnings > 0) console.error(`${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`);
    return errors > 0 ? 1 : 0;
  },
};
