/** Checks that need the models' safetensors headers: same tensors and shapes, selectors that match. */
import type * as A from "./ast.js";
import type { Analyzer } from "./analyzer.js";
import { diagnostic } from "./diagnostics.js";
import type { Atom, ModelFamily, ModelLike } from "./values.js";
import { selectorMatches } from "../graph/params.js";
import type { Selector } from "../graph/graph.js";
import { isVocabTensorName } from "../vocab/embedding-tensors.js";

const shapeText = (s: readonly number[]): string => `[${s.join(", ")}]`;

function atomsOf(inputs: ModelLike[]): Atom[] {
  const out: Atom[] = [];
  for (const i of inputs) for (const a of i.form.keys()) if (!out.includes(a)) out.push(a);
  return out;
}

type Difference = { tensor: string; left: string; right: string; code: "tensor-mismatch" | "shape-mismatch" } | null;

// Families are immutable per header read, so a comparison is computed once per pair.
const compared = new WeakMap<ModelFamily, WeakMap<ModelFamily, Difference>>();

/** The first difference between two families, in the first one's tensor order, or null. */
export function firstDifference(a: ModelFamily, b: ModelFamily): Difference {
  let row = compared.get(a);
  if (!row) compared.set(a, (row = new WeakMap()));
  if (row.has(b)) return row.get(b)!;
  const d = computeDifference(a, b);
  row.set(b, d);
  return d;
}

function computeDifference(a: ModelFamily, b: ModelFamily): Difference {
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name);
    if (!u) return { tensor: name, left: shapeText(t.shape), right: "missing", code: "tensor-mismatch" };
    // Embedding and head rows follow the vocabulary: save aligns them (tokenizer:, or padding rows).
    const rowsOnly = isVocabTensorName(name) && t.shape.length === u.shape.length && t.shape.every((d, i) => i === 0 || d === u.shape[i]);
    if (!rowsOnly && (t.shape.length !== u.shape.length || t.shape.some((d, i) => d !== u.shape[i]))) {
      return { tensor: name, left: shapeText(t.shape), right: shapeText(u.shape), code: "shape-mismatch" };
    }
  }
  for (const [name, u] of b.tensors) if (!a.tensors.has(name)) return { tensor: name, left: "missing", right: shapeText(u.shape), code: "tensor-mismatch" };
  return null;
}

/** Reports the first mismatch among the inputs' models; returns their common family (or null if unknown). */
export function checkFamilies(an: Analyzer, inputs: ModelLike[], where: A.Range): ModelFamily | null {
  const atoms = atomsOf(inputs).filter((a) => a.family !== null);
  const first = atoms[0];
  if (!first) return null;
  for (const other of atoms.slice(1)) {
    if (other.family === first.family) continue;
    const diff = firstDifference(first.family!, other.family!);
    if (!diff) continue;
    const name = (a: Atom): string => an.source(a.call);
    const message =
      diff.code === "tensor-mismatch"
        ? `these models have different tensors: '${diff.tensor}' is ${diff.left === "missing" ? "missing from" : "in"} ${name(first)} but ${diff.right === "missing" ? "missing from" : "in"} ${name(other)}`
        : `these models have different shapes: tensor '${diff.tensor}' is ${diff.left} in ${name(first)} but ${diff.right} in ${name(other)}`;
    an.report(
      diagnostic(diff.code, "error", where, message, {
        related: [
          { message: `${diff.left === "missing" ? "no such tensor" : diff.left} here (${first.family!.path})`, range: first.call.range },
          { message: `${diff.right === "missing" ? "no such tensor" : diff.right} here (${other.family!.path})`, range: other.call.range },
        ],
      }),
    );
    return null;
  }
  return first.family;
}

/** Warn when a where selector matches no tensor, or names layers the models do not have. */
export function checkSelector(an: Analyzer, selector: Selector, range: A.Range, family: ModelFamily): void {
  if (selector.kind === "layers" && family.layerCount > 0 && selector.to >= family.layerCount) {
    an.report(
      diagnostic(
        "layers-out-of-range",
        "warning",
        range,
        `the models have ${family.layerCount} layers (0..${family.layerCount - 1}); layers ${selector.from}..${selector.to} goes beyond them`,
      ),
    );
    if (selector.from >= family.layerCount) return;
  }
  for (const name of family.tensors.keys()) if (selectorMatches(selector, name)) return;
  if (selector.kind === "glob") {
    const sample = [...family.tensors.keys()].slice(0, 3).join(", ");
    an.report(
      diagnostic("selector-matches-nothing", "warning", range, `"${selector.pattern}" matches no tensor of these models (their names look like ${sample})`),
    );
  } else if (selector.from < family.layerCount) {
    an.report(diagnostic("selector-matches-nothing", "warning", range, `layers ${selector.from}..${selector.to} match no tensor of these models`));
  }
}
