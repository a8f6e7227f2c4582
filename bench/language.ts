/** Parse + check of a generated 5,000-line recipe, cold and warm (target: warm < 100 ms). */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { checkRecipe } from "../src/language/service.js";
import { headerLookup } from "../src/language/header-lookup.js";

export function generatedRecipe(lines: number, modelsDir: string): string {
  const out = [`base = model("${modelsDir}/base")`, `a = model("${modelsDir}/task_a")`, `b = model("${modelsDir}/task_b")`, `c = model("${modelsDir}/task_c")`];
  let i = 0;
  while (out.length < lines - 4) {
    out.push(`# variant ${i}`);
    out.push(`m${i} = ties(a, b, c, base: base, density: ${(0.1 + (i % 9) / 10).toFixed(1)}, lambda: 1.0, weights: [1, 0.5, 0.8])`);
    out.push(`  where "*.self_attn.*" { density: 0.4 }`);
    out.push(`  where layers 0..3 { density: ramp(0.6, 0.2) }`);
    out.push(`p${i} = pcb(a, b, base: base, ratio: 0.1) where "*.mlp.*" { ratio: 0.2 }`);
    out.push(`t${i} = base + 0.5 * (a - base) + 0.25 * (m${i} - base)`);
    out.push(`save(linear(t${i}, p${i}), "out/v${i}", dtype: "bf16")`);
    i++;
  }
  return out.join("\n") + "\n";
}

export interface LanguageBench {
  lines: number;
  coldMs: number;
  warmMedianMs: number;
  warmP95Ms: number;
  diagnostics: number;
}

/** `warmups` runs after the cold one are not counted: warm means the JIT has settled. */
export function benchLanguage(modelsDir: string, lines = 5000, runs = 30, warmups = 5): LanguageBench {
  const text = generatedRecipe(lines, modelsDir);
  const file = join(modelsDir, "..", "bench.merge");
  const models = headerLookup();
  let t = performance.now();
  const first = checkRecipe(text, file, { models });
  const coldMs = performance.now() - t;
  for (let r = 0; r < warmups; r++) checkRecipe(text, file, { models });
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    t = performance.now();
    checkRecipe(text, file, { models });
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  return {
    lines: text.split("\n").length - 1,
    coldMs,
    warmMedianMs: times[Math.floor(times.length / 2)]!,
    warmP95Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.95))]!,
    diagnostics: first.diagnostics.filter((d) => d.severity !== "hint").length,
  };
}
