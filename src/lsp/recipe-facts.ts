/**
 * What completion needs to know from a recipe's last check, as plain data: the type of each binding
 * and the tensors of each call's models. Sent from the analysis worker with every diagnostics update.
 */
import type { CheckedRecipe } from "../language/service.js";
import type { ModelFamily } from "../language/values.js";
import { typeLabel } from "./describe.js";

export interface FamilyFacts {
  tensors: string[];
  layerCount: number;
}

export interface RecipeFacts {
  bindings: { name: string; offset: number; label: string }[];
  /** Calls whose models' headers are known: callee name and offset, index into `families`. */
  calls: { offset: number; callee: string; family: number }[];
  families: FamilyFacts[];
  /** The family of the first model the recipe loads (for calls that have none), or -1. */
  firstFamily: number;
}

export const noFacts: RecipeFacts = { bindings: [], calls: [], families: [], firstFamily: -1 };

export function recipeFacts(checked: CheckedRecipe): RecipeFacts {
  const { analysis } = checked;
  const families: FamilyFacts[] = [];
  const index = new Map<ModelFamily, number>();
  const familyIndex = (f: ModelFamily): number => {
    let i = index.get(f);
    if (i === undefined) {
      i = families.length;
      families.push({ tensors: [...f.tensors.keys()], layerCount: f.layerCount });
      index.set(f, i);
    }
    return i;
  };
  const calls: RecipeFacts["calls"] = [];
  for (const c of analysis.calls) if (c.family) calls.push({ offset: c.call.callee.range.start.offset, callee: c.call.callee.name, family: familyIndex(c.family) });
  let firstFamily = -1;
  for (const a of analysis.atoms) {
    if (a.kind === "load" && a.family) {
      firstFamily = familyIndex(a.family);
      break;
    }
  }
  return {
    bindings: analysis.bindings.map((b) => ({ name: b.name, offset: b.declaration.range.start.offset, label: typeLabel(b.value) })),
    calls,
    families,
    firstFamily,
  };
}

/** The tensors a call at `offset` works on (its own models, else the recipe's first model). */
export function familyAt(facts: RecipeFacts, callee: string | null, offset: number | null): FamilyFacts | null {
  const own = facts.calls.find((c) => c.offset === offset && c.callee === callee);
  const i = own ? own.family : facts.firstFamily;
  return i >= 0 ? facts.families[i]! : null;
}
