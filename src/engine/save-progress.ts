/**
 * One save's progress as a share of all its work: the statistics passes of its global-scope nodes
 * and the write pass, each weighted by the elements it reads, so that a bar moves with the bytes and
 * its ETA covers the whole save, not the current pass. A node's passes are planned from their upper
 * bound (a selection usually finishes in fewer): the total shrinks when one finishes early.
 */
import type { StatsProgress } from "../backends/backend.js";
import type { NodeId } from "../graph/graph.js";

export interface StatsScope {
  node: NodeId;
  /** The method, for the step text. */
  name: string;
  /** Elements one pass reads (the node's float tensors). */
  elements: number;
  /** Planned passes (an upper bound). */
  passes: number;
}

export interface SaveStep {
  /** "ties statistics, pass 1 of up to 2" or "writing". */
  step: string;
  workDone: number;
  workTotal: number;
}

export class SaveProgress {
  /** Work of the passes already finished. */
  private finished = 0;
  private current: { scope: number; pass: number } | null = null;

  constructor(
    private readonly scopes: readonly StatsScope[],
    private readonly writeElements: number,
  ) {}

  statistics(p: StatsProgress): SaveStep {
    const scope = this.scopes.findIndex((s) => s.node === p.node);
    const s = this.scopes[scope];
    if (!s) return { step: "statistics", workDone: this.finished, workTotal: this.finished + this.writeElements };
    this.moveTo(scope, p.pass);
    const planned = Math.max(s.passes, p.pass);
    const later = this.scopes.slice(scope + 1).reduce((a, o) => a + o.passes * o.elements, 0);
    const workDone = this.finished + p.elementsDone;
    const workTotal = this.finished + (planned - p.pass + 1) * s.elements + later + this.writeElements;
    const of = planned > 1 ? ` of ${p.pass === planned ? "" : "up to "}${planned}` : "";
    return { step: `${s.name} statistics, pass ${p.pass}${of}`, workDone, workTotal };
  }

  write(elementsDone: number): SaveStep {
    this.moveTo(this.scopes.length, 0);
    return { step: "writing", workDone: this.finished + elementsDone, workTotal: this.finished + this.writeElements };
  }

  /** Counts the passes that ended before (scope, pass) as finished. */
  private moveTo(scope: number, pass: number): void {
    const c = this.current;
    if (c && c.scope === scope && c.pass === pass) return;
    if (c) this.finished += this.scopes[c.scope]?.elements ?? 0;
    this.current = { scope, pass };
  }
}
