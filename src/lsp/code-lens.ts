/**
 * Code lenses above merge calls and `interference(...)`: the sampled interference estimate in one
 * line, and a command to open the per-layer view. Lenses are listed at once and resolved later,
 * each from the estimates cache (so typing never waits for a report).
 */
import type { CodeLens } from "vscode-languageserver/node";
import { summaryLine } from "../inspect/report.js";
import { targetProblem, type InterferenceEstimates, type InterferenceTarget } from "./interference.js";

/** The client command a lens runs: arguments [uri, position of the call]. */
export const INSPECT_COMMAND = "mergelang.inspectInterference";

export interface LensData {
  uri: string;
  /** Offset of the call, to find it again in the document's current analysis. */
  offset: number;
}

export function codeLenses(targets: InterferenceTarget[], uri: string): CodeLens[] {
  return targets.map((t) => ({ range: t.calleeRange, data: { uri, offset: t.offset } satisfies LensData }));
}

/** Fills in a lens's title and command; the title carries the reason when there is no estimate. */
export async function resolveLens(lens: CodeLens, target: InterferenceTarget | null, estimates: InterferenceEstimates): Promise<CodeLens> {
  const data = lens.data as LensData;
  if (!target) return { ...lens, command: { title: "interference: the call changed; edit or save to refresh", command: "" } };
  const problem = targetProblem(target);
  if (problem) return { ...lens, command: { title: `interference: ${problem}`, command: "" } };
  try {
    const report = await estimates.report(target, "sampled");
    return { ...lens, command: { title: summaryLine(report), command: INSPECT_COMMAND, arguments: [data.uri, target.start] } };
  } catch (e) {
    return { ...lens, command: { title: `interference unavailable: ${(e as Error).message}`, command: "" } };
  }
}
