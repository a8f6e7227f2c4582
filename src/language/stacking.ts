/**
 * `slice(m, layers a..b)` and passthrough's stacking (spec addition): values whose tensor list is
 * assembled from layer ranges of other models (graph/stack.ts has the rule). With headers the
 * stacked family is computed here, so that merges of slices, where clauses and layer checks see
 * the stacked model's own tensors and layer count.
 */
import type * as A from "./ast.js";
import type { Analyzer } from "./analyzer.js";
import { diagnostic } from "./diagnostics.js";
import { StackError, stackTensors } from "../graph/stack.js";
import { classify, type ModelFamily, type ModelLike, type StackAtom, type Value } from "./values.js";

export interface LayerPart {
  model: ModelLike;
  from: number;
  to: number | null;
  /** Where the range is written (for errors). */
  range: A.Range;
}

/** The parts of a value that is itself exactly one stack: passthrough(slice(a, ...), slice(b, ...)) flattens. */
export function stackPartsOf(m: ModelLike): StackAtom["parts"] | null {
  const entries = [...m.form.entries()];
  if (entries.length !== 1 || entries[0]![1] !== 1) return null;
  const atom = entries[0]![0];
  return atom.kind === "stack" ? atom.parts : null;
}

/** A stacked model from layer ranges; reports ranges the models do not have. */
export function stackValue(an: Analyzer, call: A.CallExpr, parts: LayerPart[]): { value: Value; family: ModelFamily | null } {
  const families = parts.map((p) => an.checkSameFamily([p.model], p.range));
  let family: ModelFamily | null = null;
  if (families.every((f): f is ModelFamily => f !== null)) {
    try {
      const stacked = stackTensors(parts.map((p, i) => ({ tensors: families[i]!.tensors, layerCount: families[i]!.layerCount, from: p.from, to: p.to })));
      family = {
        path: families[0]!.path,
        tensors: new Map(stacked.tensors.map((t) => [t.name, t.info])),
        layerCount: stacked.layerCount,
        floatDType: families[0]!.floatDType,
      };
    } catch (e) {
      if (!(e instanceof StackError)) throw e;
      an.report(diagnostic("layers-out-of-range", "error", parts[e.part]!.range, e.message));
      return { value: { type: "Unknown" }, family: null };
    }
  }
  const atom = an.addAtom((id): StackAtom => ({ kind: "stack", id, call, parts: parts.map(({ model, from, to }) => ({ model, from, to })), family }));
  return { value: classify(new Map([[atom, 1]]), call.range), family };
}
